using Relay.Bench.Infrastructure;
using Relay.Bench.Limits;
using Relay.Bench.Reporting;

namespace Relay.Bench.Scenarios;

/// <summary>
/// Latency under load: the relay starts, and as soon as it reports ready, writers commit outbox rows at a fixed offered
/// rate; per message, row commit → visible to a consumer. A fresh relay per rate, so the first seconds after a start
/// (a restarting sidecar pays them) are part of every figure, and are also reported on their own.
/// </summary>
public sealed class LatencyScenario(BenchContext context)
{
    private const int Writers = 16; // enough connections that commits waiting on the WAL flush still reach the offered rate
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);

    public static string PipelineName(SourceKind kind, SinkKind sink) =>
        (kind == SourceKind.PostgresReplication ? "WAL" : "binlog") + " → " + sink;

    public async Task RunAsync()
    {
        var pipelines = new List<(SourceKind, SinkKind)> { (SourceKind.PostgresReplication, SinkKind.Redis), (SourceKind.PostgresReplication, SinkKind.Kafka) };
        if (context.Settings.Mode != BenchMode.Quick) pipelines.Add((SourceKind.MySqlBinlog, SinkKind.Redis));
        // The limit first: the same writers with Npgsql's bare reader in place of the relay and its sink.
        foreach (var rate in context.Settings.OfferedRates)
            await TryAsync(BareWalPipeline, rate, () => MeasureAsync(SourceKind.PostgresReplication, null, rate, "current", null));
        foreach (var (build, directory) in context.Builds)
        {
            foreach (var (kind, sink) in pipelines)
            {
                foreach (var rate in context.Settings.OfferedRates)
                    await TryAsync(PipelineName(kind, sink), rate, () => MeasureAsync(kind, context.Sink(sink), rate, build, directory), build);
            }
        }
    }

    /// <summary>The latency limit's pipeline name.</summary>
    public const string BareWalPipeline = "WAL → bare Npgsql reader";

    private async Task TryAsync(string pipeline, int rate, Func<Task<LatencyRun>> measure, string build = "current")
    {
        try
        {
            context.Results.Add(await measure());
        }
        catch (Exception e)
        {
            ProgressLog.Step($"Latency {pipeline} at {rate}: FAILED: {e.Message}");
            context.Results.Fail($"latency {pipeline} at {rate} msg/s [{build}]: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>One rate through the relay and <paramref name="sink"/>, or, when <paramref name="sink"/> is null, through the bare WAL reader.</summary>
    private async Task<LatencyRun> MeasureAsync(SourceKind kind, SinkTarget? sink, int rate, string build, string? directory)
    {
        var pipeline = sink is null ? BareWalPipeline : PipelineName(kind, sink.Kind);
        var db = context.Database(kind);
        var run = context.NewRun("lat");
        var duration = context.Settings.LatencyDuration;
        // Rows per transaction: single-row transactions up to 5k/s; beyond that the writers batch, as busy services do.
        var perTxn = rate is > 0 and <= 5_000 ? 1 : 10;
        var capacity = rate > 0 ? (int)(rate * duration.TotalSeconds * 1.2) + 10_000 : 3_000_000;
        var recorder = new LatencyRecorder(capacity);
        await db.PrepareAsync(run);
        if (db is PostgresOutbox pg) await pg.CreateSlotAsync(PostgresOutbox.Slot(run, "src"));
        try
        {
            var writers = new List<IOutboxWriter>();
            for (var i = 0; i < Writers; i++) writers.Add(await db.OpenWriterAsync(run, BenchSettings.PayloadBytes));
            await using var consumer = await StartConsumerAsync(kind, sink, run, recorder, directory);
            var relay = consumer.Relay;

            ProgressLog.Step($"Latency {pipeline} [{build}]: offering {(rate > 0 ? $"{rate:N0} msg/s" : "as much as the writers can")} for {duration.TotalSeconds:0} s");
            var start = BenchClock.Now;
            var next = -1L;
            var stop = start + (long)(duration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            async Task WriteAsync(IOutboxWriter writer)
            {
                while (true)
                {
                    var txn = Interlocked.Increment(ref next);
                    var first = txn * perTxn;
                    if (first + perTxn > capacity) return;
                    if (rate > 0)
                    {
                        var due = start + (long)(first * (double)System.Diagnostics.Stopwatch.Frequency / rate);
                        // Writers that fall behind the offered rate (a server's commit rate) stop at the deadline all the same.
                        if (due >= stop || BenchClock.Now >= stop) return;
                        // No spinning: the writers share the cores with the relay. A late timer only makes the offered load a
                        // little burstier; latency is measured from each row's actual commit.
                        var wait = BenchClock.Milliseconds(due - BenchClock.Now);
                        if (wait >= 1) await Task.Delay(TimeSpan.FromMilliseconds(wait));
                    }
                    else if (BenchClock.Now >= stop) return;
                    await writer.InsertAsync(first, perTxn);
                    recorder.Committed(first, perTxn, BenchClock.Now);
                }
            }
            var writing = Task.WhenAll(writers.Select(w => Task.Run(() => WriteAsync(w))));
            while (!writing.IsCompleted)
            {
                await Task.WhenAny(writing, Task.Delay(500));
                ProgressLog.Status($"{pipeline}: {Math.Min(Interlocked.Read(ref next), capacity / perTxn) * perTxn:N0} written, {recorder.Seen:N0} visible");
            }
            await writing;
            var writeSeconds = BenchClock.SecondsSince(start);
            var written = Math.Min(Interlocked.Read(ref next) + 1, capacity / perTxn) * perTxn;
            // The last transactions of a rate run may have been skipped past the deadline: count what committed.
            var expected = recorder.CountCommitted(written);
            var waitStart = BenchClock.Now;
            while (recorder.Seen < expected && BenchClock.SecondsSince(waitStart) < 60)
            {
                relay?.ThrowIfExited();
                await Task.Delay(20);
            }
            if (relay is not null) await relay.StopAsync();
            foreach (var writer in writers) await writer.DisposeAsync();

            if (Environment.GetEnvironmentVariable("RELAY_BENCH_TIMELINE") is { Length: > 0 })
            {
                var bucket = System.Diagnostics.Stopwatch.Frequency / 4;
                for (var t = start; t < stop; t += bucket)
                {
                    var slice = recorder.Latencies(written, t, t + bucket);
                    ProgressLog.Step($"  +{BenchClock.Milliseconds(t - start),6:0} ms: {slice.Length,5} msgs p50 {LatencyRecorder.Percentile(slice, 0.5),7:0.0} max {(slice.Length > 0 ? slice[^1] : 0),7:0.0}");
                }
            }
            var all = recorder.Latencies(written);
            var warmupEnd = start + (long)(Warmup.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            var early = recorder.Latencies(written, to: warmupEnd);
            var warm = recorder.Latencies(written, from: warmupEnd);
            var result = new LatencyRun(pipeline, rate, expected / writeSeconds, all.Length,
                LatencyRecorder.Percentile(all, 0.50), LatencyRecorder.Percentile(all, 0.99), LatencyRecorder.Percentile(all, 0.999),
                all.Length > 0 ? all[^1] : double.NaN,
                LatencyRecorder.Percentile(early, 0.99), LatencyRecorder.Percentile(warm, 0.99), relay?.Meter.PeakRssBytes ?? 0, build);
            if (all.Length < expected)
                context.Results.Note($"latency {pipeline} at {rate}: only {all.Length} of {expected} committed messages became visible within 60 s");
            ProgressLog.Step($"Latency {pipeline} [{build}] at {result.AchievedRate:N0} msg/s: p50 {result.P50:N1} ms, p99 {result.P99:N1} ms, " +
                             $"p99.9 {result.P999:N1} ms, max {result.Max:N0} ms; p99 first {Warmup.TotalSeconds:0} s {result.WarmupP99:N1} ms, after {result.WarmP99:N1} ms");
            return result;
        }
        finally
        {
            if (sink is not null) await sink.CleanUpAsync(run);
            await db.DropAsync(run);
        }
    }

    /// <summary>The relay and a consumer of its sink, ready for the writers; or the bare WAL reader (no relay).</summary>
    private async Task<Consumer> StartConsumerAsync(SourceKind kind, SinkTarget? sink, string run, LatencyRecorder recorder, string? directory)
    {
        var db = context.Database(kind);
        if (sink is null)
        {
            var bare = await BareWalWatcher.StartAsync(context.Postgres.ConnectionString, PostgresOutbox.Slot(run, "src"), PostgresOutbox.Publication(run), recorder.OnMessage);
            return new Consumer(null, bare);
        }
        var env = db.RelayEnvironment(run, kind);
        foreach (var (key, value) in sink.Environment(run)) env[key] = value;
        var reader = sink.Watch(run, recorder.OnMessage);
        var relay = RelayUnderTest.Start(env, directory);
        var consumer = new Consumer(relay, reader);
        try
        {
            await relay.WaitReadyAsync(TimeSpan.FromSeconds(60));
            // A binlog source publishes what commits after the position it starts at, which it commits first.
            if (kind == SourceKind.MySqlBinlog) await sink.WaitForPositionAsync(run, "src", TimeSpan.FromSeconds(30), relay.ThrowIfExited);
        }
        catch
        {
            await consumer.DisposeAsync();
            throw;
        }
        return consumer;
    }

    /// <summary>What sees the messages: the relay under test (null for the bare reader) and the reader of its output.</summary>
    private sealed record Consumer(RelayUnderTest? Relay, IAsyncDisposable Reader) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // The relay stops before its sink's reader, as before: the reader outlives what it watches.
            if (Relay is not null) await Relay.DisposeAsync();
            await Reader.DisposeAsync();
        }
    }
}
