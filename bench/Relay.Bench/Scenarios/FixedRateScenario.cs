using Npgsql;
using Relay.Bench.Infrastructure;
using Relay.Bench.Limits;
using Relay.Bench.Reporting;

namespace Relay.Bench.Scenarios;

/// <summary>
/// What a sidecar sees: a steady trickle of single-row transactions at a fixed offered rate (100, 1,000, 5,000 rows/s),
/// written by a cheap writer (pgbench; for MariaDB a prepared-statement loop). Per run: the relay's CPU per message
/// between ready and end (start-up excluded), its RSS at the end, insert → visible latency with a quarter-second
/// timeline of its max, and in the same run the database's own log client following the same log (pg_recvlogical with
/// pgoutput, mysqlbinlog --stop-never), its CPU measured the same way; for WAL also Npgsql's bare pgoutput reader, whose
/// latency shows what the machine itself adds.
/// </summary>
public sealed class FixedRateScenario(BenchContext context)
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private const long QuarterSecond = 250_000;

    /// <summary>Rounds per rate (RELAY_BENCH_FIXED_REPEAT): on a shared machine a before/after claim wants several pairs.</summary>
    private static int Repeat => int.TryParse(Environment.GetEnvironmentVariable("RELAY_BENCH_FIXED_REPEAT"), out var n) && n > 0 ? n : 1;

    public static string PipelineName(SourceKind kind, SinkKind sink) => kind switch
    {
        SourceKind.PostgresReplication => "WAL",
        SourceKind.MySqlBinlog => "binlog",
        SourceKind.PostgresPolling => "Postgres polling",
        _ => "MySQL polling",
    } + " → " + sink;

    public async Task RunAsync()
    {
        var pipelines = new List<(SourceKind, SinkKind)> { (SourceKind.PostgresReplication, SinkKind.Redis), (SourceKind.MySqlBinlog, SinkKind.Redis) };
        if (context.Settings.Mode != BenchMode.Quick)
        {
            pipelines.Add((SourceKind.PostgresReplication, SinkKind.Kafka));
            pipelines.Add((SourceKind.PostgresPolling, SinkKind.Redis));
            pipelines.Add((SourceKind.MySqlPolling, SinkKind.Redis));
        }
        if (Environment.GetEnvironmentVariable("RELAY_BENCH_PIPELINES") is { Length: > 0 } only)
            pipelines = pipelines.Where(p => only.Split(',').Any(o => PipelineName(p.Item1, p.Item2).Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();
        foreach (var (kind, sink) in pipelines)
        {
            foreach (var rate in context.Settings.FixedRates)
            for (var round = 0; round < Repeat; round++)
            {
                // Builds side by side at each rate, so a before/after pair shares the machine's state.
                foreach (var (build, directory) in context.Builds)
                {
                    try
                    {
                        context.Results.Add(await MeasureAsync(kind, context.Sink(sink), rate, build, directory));
                    }
                    catch (Exception e)
                    {
                        ProgressLog.Step($"Fixed rate {PipelineName(kind, sink)} at {rate} [{build}]: FAILED: {e.Message}");
                        context.Results.Fail($"fixed rate {PipelineName(kind, sink)} at {rate} rows/s [{build}]: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                    }
                }
            }
        }
    }

    private async Task<FixedRateRun> MeasureAsync(SourceKind kind, SinkTarget sink, int rate, string build, string? directory)
    {
        var pipeline = PipelineName(kind, sink.Kind);
        var db = context.Database(kind);
        var run = context.NewRun("fix");
        var duration = context.Settings.FixedRateDuration;
        var capacity = (int)(rate * duration.TotalSeconds * 1.5) + 10_000;
        var recorder = new FixedRateRecorder(capacity);
        var bare = kind == SourceKind.PostgresReplication ? new FixedRateRecorder(capacity) : null;
        var isWal = kind == SourceKind.PostgresReplication;
        await db.PrepareAsync(run);
        FollowerProcess? follower = null;
        BareWalWatcher? bareReader = null;
        try
        {
            (string File, ulong Position)? binlogStart = null;
            if (isWal)
            {
                foreach (var consumer in new[] { "src", "recv", "bare" }) await context.Postgres.CreateSlotAsync(PostgresOutbox.Slot(run, consumer));
            }
            else if (kind == SourceKind.MySqlBinlog)
            {
                binlogStart = await context.MySql.BinlogEndAsync();
            }

            var env = db.RelayEnvironment(run, kind);
            foreach (var (key, value) in sink.Environment(run)) env[key] = value;
            await using var reader = sink.Watch(run, recorder.OnMessage);
            await using var relay = RelayUnderTest.Start(env, directory);
            await relay.WaitReadyAsync(TimeSpan.FromSeconds(60));
            if (kind == SourceKind.MySqlBinlog) await sink.WaitForPositionAsync(run, "src", TimeSpan.FromSeconds(30), relay.ThrowIfExited);

            if (isWal)
            {
                var pg = new NpgsqlConnectionStringBuilder(context.Postgres.ConnectionString);
                follower = FollowerProcess.Start("pg_recvlogical (pgoutput)",
                    ["pg_recvlogical", "-h", pg.Host!, "-p", pg.Port.ToString(), "-U", pg.Username!, "-d", pg.Database!, "--slot", PostgresOutbox.Slot(run, "recv"),
                     "--start", "--no-loop", "-o", "proto_version=1", "-o", $"publication_names={PostgresOutbox.Publication(run)}", "-f", "-"],
                    new Dictionary<string, string> { ["PGPASSWORD"] = pg.Password! });
                bareReader = await BareWalWatcher.StartAsync(context.Postgres.ConnectionString, PostgresOutbox.Slot(run, "bare"), PostgresOutbox.Publication(run),
                    bare!.OnMessage);
            }
            else if (binlogStart is { } position)
            {
                var my = new MySqlConnector.MySqlConnectionStringBuilder(context.MySql.ConnectionString);
                follower = FollowerProcess.Start("mysqlbinlog --stop-never",
                    ["mysqlbinlog", "--read-from-remote-server", "--stop-never", $"--stop-never-slave-server-id={MySqlOutbox.NextServerId()}",
                     "--host", my.Server, "--port", my.Port.ToString(), "--user", my.UserID, $"--password={my.Password}",
                     $"--start-position={position.Position}", position.File]);
            }
            // The followers connect and settle before the measured window opens.
            await Task.Delay(500);
            follower?.ThrowIfExited();

            ProgressLog.Step($"Fixed rate {pipeline} [{build}]: {rate:N0} rows/s for {duration.TotalSeconds:0} s");
            relay.Meter.Sample();
            follower?.Meter.Sample();
            var relayCpu0 = relay.Meter.CpuSeconds;
            var work0 = await WorkAsync(relay);
            var followerCpu0 = follower?.Meter.CpuSeconds ?? 0;
            var startMicros = recorder.WallMicros(BenchClock.Now);
            var started = BenchClock.Now;
            IRateWriter writer = db is PostgresOutbox ? new PgBenchWriter(context.Postgres.ConnectionString) : new MySqlPacedWriter(context.MySql.ConnectionString);
            var writing = writer.RunAsync(run, rate, duration, CancellationToken.None);
            while (!writing.IsCompleted)
            {
                await Task.WhenAny(writing, Task.Delay(1000));
                relay.ThrowIfExited();
                ProgressLog.Status($"{pipeline} [{build}] at {rate:N0}/s: {recorder.Count:N0} visible after {BenchClock.SecondsSince(started):0} s");
            }
            var writerName = await writing;
            var seconds = BenchClock.SecondsSince(started);
            var endMicros = recorder.WallMicros(BenchClock.Now);
            var expected = await db.InsertedAsync(run);
            var waitStart = BenchClock.Now;
            while ((recorder.Count < expected || (bare is not null && bare.Count < expected)) && BenchClock.SecondsSince(waitStart) < 60)
            {
                relay.ThrowIfExited();
                await Task.Delay(10);
            }
            // The log client reads at least as fast; a moment more lets it finish the last transactions.
            await Task.Delay(200);
            relay.Meter.Sample();
            follower?.Meter.Sample();
            var relayCpu = relay.Meter.CpuSeconds - relayCpu0;
            var work1 = await WorkAsync(relay);
            var followerCpu = (follower?.Meter.CpuSeconds ?? 0) - followerCpu0;
            var rss = relay.Meter.RssBytes;
            var (meanBatch, _) = await BenchContext.BatchStatisticsAsync(relay);
            if (recorder.Count < expected)
                context.Results.Note($"fixed rate {pipeline} at {rate} [{build}]: only {recorder.Count} of {expected} rows became visible within 60 s");

            var latency = Summarize(recorder, startMicros, endMicros);
            var result = new FixedRateRun(pipeline, rate, build, writerName, seconds, expected, relayCpu, rss, meanBatch, latency,
                follower?.Name, followerCpu, bare is null ? null : Summarize(bare, startMicros, endMicros))
            {
                WorkPerMessage = work1.Where(w => work0.ContainsKey(w.Key)).ToDictionary(w => w.Key, w => expected > 0 ? (w.Value - work0[w.Key]) / expected : double.NaN),
            };
            ProgressLog.Step($"Fixed rate {pipeline} [{build}] at {result.AchievedRate:N0} rows/s: relay {result.RelayMicrosPerMessage:N0} µs CPU/msg" +
                             (follower is null ? "" : $" vs {follower.Name} {result.LimitMicrosPerMessage:N0} ({result.CpuRatio:N2}×)") +
                             $", RSS {rss / 1048576.0:N0} MB, mean batch {meanBatch:N1} ({result.RelayMicrosPerBatch:N0} µs CPU/batch); p50 {latency.P50:N1} ms, p99 {latency.P99:N1}, p99.9 {latency.P999:N1}, max {latency.Max:N0}; " +
                             $"after 3 s p99 {latency.WarmP99:N1} max {latency.WarmMax:N0}" +
                             (result.BareLatency is { } b ? $"; bare reader p99 {b.P99:N1} max {b.Max:N0}" : ""));
            ProgressLog.Step("  per message: " + string.Join(", ", result.WorkPerMessage.Select(w => $"{w.Key} {w.Value:0.###}")));
            if (Environment.GetEnvironmentVariable("RELAY_BENCH_TIMELINE") is { Length: > 0 })
            {
                for (var q = 0; q < latency.QuarterSecondMax.Length; q++)
                    ProgressLog.Step($"  +{q * 250,6} ms: max {latency.QuarterSecondMax[q],7:0.0}" + (result.BareLatency is { } bl && q < bl.QuarterSecondMax.Length ? $"  bare {bl.QuarterSecondMax[q],7:0.0}" : ""));
            }
            return result;
        }
        finally
        {
            if (bareReader is not null) await bareReader.DisposeAsync();
            if (follower is not null) await follower.DisposeAsync();
            await sink.CleanUpAsync(run);
            await db.DropAsync(run);
        }
    }

    /// <summary>The runtime's counters of work (exported on /metrics by the runtime instrumentation) and /proc's context switches.</summary>
    private static async Task<Dictionary<string, double>> WorkAsync(RelayUnderTest relay)
    {
        var work = new Dictionary<string, double> { ["context switches"] = relay.ContextSwitches() };
        try
        {
            var metrics = await relay.MetricsAsync();
            foreach (var (name, label) in new[]
                     {
                         ("gc_heap_total_allocated", "allocated bytes"), ("thread_pool_work_item", "thread-pool work items"),
                         ("lock_contention", "lock contentions"), ("gc_collections", "GCs"), ("gc_pause_time", "GC pause s"),
                     })
            {
                if (metrics.Where(m => m.Key.Contains(name, StringComparison.Ordinal)).Select(m => (double?)m.Value).FirstOrDefault() is { } value) work[label] = value;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
        }
        return work;
    }

    private static FixedRateLatency Summarize(FixedRateRecorder recorder, long startMicros, long endMicros)
    {
        var all = recorder.Latencies();
        var warmupEnd = startMicros + (long)(Warmup.TotalMilliseconds * 1000);
        var early = recorder.Latencies(to: warmupEnd);
        var warm = recorder.Latencies(from: warmupEnd);
        return new FixedRateLatency(all.Length,
            LatencyRecorder.Percentile(all, 0.50), LatencyRecorder.Percentile(all, 0.99), LatencyRecorder.Percentile(all, 0.999), all.Length > 0 ? all[^1] : double.NaN,
            LatencyRecorder.Percentile(early, 0.99), LatencyRecorder.Percentile(warm, 0.99), warm.Length > 0 ? warm[^1] : double.NaN,
            recorder.MaxTimeline(startMicros, endMicros, QuarterSecond));
    }
}
