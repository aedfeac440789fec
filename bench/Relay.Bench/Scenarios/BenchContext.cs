using Relay.Bench.Infrastructure;
using Relay.Bench.Reporting;
using StackExchange.Redis;

namespace Relay.Bench.Scenarios;

/// <summary>The servers, sinks and results every scenario shares, and the one way a relay drain is measured.</summary>
public sealed class BenchContext(BenchSettings settings, PostgresOutbox postgres, MySqlOutbox mySql, KafkaBroker kafka, ConnectionMultiplexer redis)
{
    private int _runs;

    public BenchSettings Settings => settings;
    public PostgresOutbox Postgres => postgres;
    public MySqlOutbox MySql => mySql;
    public KafkaBroker Kafka => kafka;
    public ConnectionMultiplexer Redis => redis;
    public BenchResults Results { get; } = new();

    /// <summary>Relay builds to run: the current one, and a baseline (RELAY_BENCH_BASELINE, a directory with Relay.dll) for before/after ratios.</summary>
    public IReadOnlyList<(string Name, string? Directory)> Builds { get; } =
        Environment.GetEnvironmentVariable("RELAY_BENCH_BASELINE") is { Length: > 0 } baseline
            ? [("baseline", baseline), ("current", null)]
            : [("current", null)];

    public SinkTarget Sink(SinkKind kind) => new(kind, settings, kafka, redis);

    public IEnumerable<SinkTarget> Sinks => [Sink(SinkKind.Redis), Sink(SinkKind.Kafka)];

    public OutboxDatabase Database(SourceKind kind) => kind is SourceKind.PostgresReplication or SourceKind.PostgresPolling ? postgres : mySql;

    /// <summary>A name for a run's table, topics and offsets, unique within the bench run.</summary>
    public string NewRun(string what) => $"{what}{Interlocked.Increment(ref _runs)}{Environment.ProcessId % 1000}";

    /// <summary>
    /// Starts the relay with <paramref name="environment"/> and the sink's keys, waits until <paramref name="expected"/>
    /// messages are visible in the run's topic, and stops it.
    /// </summary>
    public async Task<DrainRun> DrainAsync(string workload, SinkTarget sink, string run, Dictionary<string, string> environment, long expected,
        int payloadBytes, string build = "current", string? relayDirectory = null, IReadOnlyList<string>? extraRuns = null)
    {
        var readers = new List<IVisibleMessages> { sink.Watch(run) };
        foreach (var other in extraRuns ?? []) readers.Add(sink.Watch(other));
        try
        {
            foreach (var (key, value) in sink.Environment(run)) environment[key] = value;
            await using var relay = RelayUnderTest.Start(environment, relayDirectory);
            var total = expected * readers.Count;
            long done = 0;
            foreach (var reader in readers)
            {
                done = await reader.WaitForAsync(expected, TimeSpan.FromSeconds(60),
                    onStall: () => relay.Output,
                    onTick: () =>
                    {
                        relay.ThrowIfExited();
                        var seen = readers.Sum(r => r.Count);
                        ProgressLog.Status($"{workload} → {sink.Kind} [{build}]: {seen:N0}/{total:N0} visible, " +
                                           $"{seen / Math.Max(0.001, BenchClock.SecondsSince(relay.StartedAt)):N0} msg/s, RSS peak {relay.Meter.PeakRssBytes / 1048576.0:N0} MB");
                    });
            }
            await relay.StopAsync();
            var first = readers.Min(r => r.FirstSeenAt);
            var drain = new DrainRun(workload, sink.Kind.ToString(), total, payloadBytes,
                BenchClock.Seconds(done - relay.StartedAt), BenchClock.Seconds(done - first),
                relay.Meter.PeakRssBytes, relay.Meter.CpuSeconds, build);
            ProgressLog.Step($"{workload} → {sink.Kind} [{build}]: {drain.MessagesPerSecond:N0} msg/s ({drain.SteadyMessagesPerSecond:N0} after the first message), " +
                             $"peak RSS {drain.PeakRssMegabytes:N0} MB, {drain.CpuSecondsPerMillion:N1} CPU s per 1M");
            return drain;
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync();
            await sink.CleanUpAsync(run);
            foreach (var other in extraRuns ?? []) await sink.CleanUpAsync(other);
        }
    }
}
