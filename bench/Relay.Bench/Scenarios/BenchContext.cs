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

    /// <summary>
    /// The builds in the order to drain them at the given turn: reversed on odd turns. Drains of one fill are not alike
    /// (a later Kafka drain on the same mock cluster ran 0.6-0.7x an earlier one of the very same build), so a before/after
    /// pair alternates which build drains first instead of always running the current one last.
    /// </summary>
    public IEnumerable<(string Name, string? Directory)> BuildsInTurn(int turn) => turn % 2 == 0 ? Builds : Builds.Reverse();

    public SinkTarget Sink(SinkKind kind) => new(kind, settings, kafka, redis);

    public IEnumerable<SinkTarget> Sinks => [Sink(SinkKind.Redis), Sink(SinkKind.Kafka)];

    public OutboxDatabase Database(SourceKind kind) => kind is SourceKind.PostgresReplication or SourceKind.PostgresPolling ? postgres : mySql;

    /// <summary>A name for a run's table, topics and offsets, unique within the bench run.</summary>
    public string NewRun(string what) => $"{what}{Interlocked.Increment(ref _runs)}{Environment.ProcessId % 1000}";

    /// <summary>Mean batch size and publish time from the relay's /metrics (NaN when it has none).</summary>
    public static async Task<(double Batch, double CommitMilliseconds)> BatchStatisticsAsync(RelayUnderTest relay)
    {
        try
        {
            await Task.Delay(350); // the exporter caches a scrape for 300 ms
            var batches = await relay.MetricAsync("relay_batch_size_count");
            var messages = await relay.MetricAsync("relay_batch_size_sum");
            var commits = await relay.MetricAsync("relay_batch_commit_duration_seconds_count");
            var seconds = await relay.MetricAsync("relay_batch_commit_duration_seconds_sum");
            return (batches > 0 ? messages / batches : double.NaN, commits > 0 ? seconds * 1000 / commits : double.NaN);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (double.NaN, double.NaN);
        }
    }

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
            var (meanBatch, meanCommit) = await BatchStatisticsAsync(relay);
            await relay.StopAsync();
            var first = readers.Min(r => r.FirstSeenAt);
            var drain = new DrainRun(workload, sink.Kind.ToString(), total, payloadBytes,
                BenchClock.Seconds(done - relay.StartedAt), BenchClock.Seconds(done - first),
                relay.Meter.PeakRssBytes, relay.Meter.CpuSeconds, build) { MeanBatch = meanBatch, MeanCommitMilliseconds = meanCommit };
            ProgressLog.Step($"{workload} → {sink.Kind} [{build}]: {drain.MessagesPerSecond:N0} msg/s ({drain.SteadyMessagesPerSecond:N0} after the first message), " +
                             $"peak RSS {drain.PeakRssMegabytes:N0} MB, {drain.CpuSecondsPerMillion:N1} CPU s per 1M; mean batch {drain.MeanBatch:N0} msgs, mean publish {drain.MeanCommitMilliseconds:N1} ms");
            return drain;
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync();
            var sources = environment.Keys.Select(k => k.Split("__")).Where(k => k is [_, "Sources", _, "Kind"]).Select(k => k[2]).ToList();
            await sink.CleanUpAsync(run, sources);
            foreach (var other in extraRuns ?? []) await sink.CleanUpAsync(other, sources);
        }
    }
}
