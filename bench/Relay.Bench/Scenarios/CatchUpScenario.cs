using Relay.Bench.Infrastructure;
using Relay.Bench.Limits;
using Relay.Bench.Reporting;

namespace Relay.Bench.Scenarios;

/// <summary>
/// Catch-up: fill an outbox, then time the relay's drain into each sink, beside the limits of the same data — the bare
/// decode of the same WAL or binlog range, and the raw write rate of each sink with the same batch size (Redis, Kafka;
/// NATS and RabbitMQ for the single-row log workloads).
/// </summary>
public sealed class CatchUpScenario(BenchContext context)
{
    private const int BatchRows = 1000; // the relay's default MaxBatchRows
    private int Rows => context.Settings.CatchUpRows;
    private static int Payload => BenchSettings.PayloadBytes;

    public static string WalWorkload(int perTxn) => $"WAL, {perTxn}-row txns";
    public static string BinlogWorkload(int perTxn) => $"binlog, {perTxn}-row txns";
    public const string PostgresPollingWorkload = "Postgres polling";
    public const string MySqlPollingWorkload = "MySQL polling";
    public const string SinkWorkload = "sink";

    public async Task RunAsync()
    {
        await SinkLimitsAsync();
        foreach (var perTxn in new[] { 1, 100 })
        {
            await Guard(WalWorkload(perTxn), () => WalAsync(perTxn));
            await Guard(BinlogWorkload(perTxn), () => BinlogAsync(perTxn));
        }
        await Guard(PostgresPollingWorkload, () => PollingAsync(SourceKind.PostgresPolling, PostgresPollingWorkload));
        await Guard(MySqlPollingWorkload, () => PollingAsync(SourceKind.MySqlPolling, MySqlPollingWorkload));
    }

    private async Task Guard(string workload, Func<Task> run)
    {
        if (context.Settings.Workload is { } only && !workload.Contains(only, StringComparison.OrdinalIgnoreCase)) return;
        try { await run(); }
        catch (Exception e)
        {
            ProgressLog.Step($"{workload} FAILED: {e.Message}");
            context.Results.Fail($"{workload}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task SinkLimitsAsync()
    {
        ProgressLog.Step($"Sink limits: {Rows:N0} messages in batches of {BatchRows}");
        if (context.Settings.DrainsInto(SinkKind.Redis))
        {
            var redis = await RawRedisWriter.RunAsync(context.Redis, "bench.raw." + Environment.ProcessId, Rows, BatchRows, Payload);
            context.Results.Add(new LimitResult(SinkWorkload, redis));
            ProgressLog.Step($"  Redis {redis.Name}: {redis.MessagesPerSecond:N0} msg/s");
        }
        if (context.Settings.DrainsInto(SinkKind.Kafka))
        {
            var kafka = await RawKafkaProducer.RunAsync(context.Kafka, context.NewRun("raw"), Rows, BatchRows, Payload);
            context.Results.Add(new LimitResult(SinkWorkload, kafka));
            ProgressLog.Step($"  Kafka {kafka.Name}: {kafka.MessagesPerSecond:N0} msg/s");
        }
        if (context.Settings.DrainsInto(SinkKind.Nats))
            await SinkLimitAsync("NATS", () => RawNatsPublisher.RunAsync(context.Settings.Nats, context.NewRun("raw"), Rows, BatchRows, Payload));
        if (context.Settings.DrainsInto(SinkKind.RabbitMq))
            await SinkLimitAsync("RabbitMQ", () => RawRabbitMqPublisher.RunAsync(context.Settings.RabbitMq, context.NewRun("raw"), Rows, BatchRows, Payload));
    }

    /// <summary>A sink limit whose server may be missing: a failure is reported, and the other workloads still run.</summary>
    private async Task SinkLimitAsync(string sink, Func<Task<LimitRun>> measure)
    {
        try
        {
            var limit = await measure();
            context.Results.Add(new LimitResult(SinkWorkload, limit));
            ProgressLog.Step($"  {sink} {limit.Name}: {limit.MessagesPerSecond:N0} msg/s");
        }
        catch (Exception e)
        {
            ProgressLog.Step($"{sink} sink limit FAILED: {e.Message}");
            context.Results.Fail($"{sink} sink limit: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>
    /// The sinks a log workload drains into: Redis and Kafka always, NATS and RabbitMQ for single-row transactions
    /// (the shape where the per-batch publish cost shows most), which keeps the run's length.
    /// </summary>
    private IReadOnlyList<SinkTarget> LogSinks(int perTxn) =>
        (perTxn == 1 ? [.. context.Sinks, context.Sink(SinkKind.Nats), context.Sink(SinkKind.RabbitMq)] : context.Sinks)
        .Where(s => context.Settings.DrainsInto(s.Kind)).ToList();

    private async Task WalAsync(int perTxn)
    {
        var workload = WalWorkload(perTxn);
        var pg = context.Postgres;
        var run = context.NewRun("wal");
        ProgressLog.Step($"{workload}: filling {Rows:N0} rows");
        await pg.PrepareAsync(run);
        var consumers = new List<string> { "bare", "recv" };
        var sinks = LogSinks(perTxn);
        foreach (var (build, _) in context.Builds)
            foreach (var sink in sinks)
                consumers.Add($"{build}{sink.Kind}".ToLowerInvariant());
        foreach (var consumer in consumers) await pg.CreateSlotAsync(PostgresOutbox.Slot(run, consumer));
        try
        {
            await pg.FillAsync(run, Rows, perTxn, Payload);
            var end = await pg.CurrentLsnAsync();

            var bare = await BareWalReader.RunAsync(pg.ConnectionString, PostgresOutbox.Slot(run, "bare"), PostgresOutbox.Publication(run), Rows);
            context.Results.Add(new LimitResult(workload, bare));
            ProgressLog.Step($"{workload}: {bare.Name}: {bare.MessagesPerSecond:N0} msg/s");
            var recv = await PgRecvLogical.RunAsync(pg.ConnectionString, PostgresOutbox.Slot(run, "recv"), PostgresOutbox.Publication(run), end, Rows);
            context.Results.Add(new LimitResult(workload, recv));
            ProgressLog.Step($"{workload}: {recv.Name}: {recv.MessagesPerSecond:N0} msg/s");

            // Sink by sink, the builds alternating which drains first (see BuildsInTurn), also from one workload to the next.
            var turn = perTxn == 1 ? 0 : 1;
            foreach (var sink in sinks)
            {
                foreach (var (build, directory) in context.BuildsInTurn(turn++))
                {
                    var source = $"{build}{sink.Kind}".ToLowerInvariant();
                    var env = pg.RelayEnvironment(run, SourceKind.PostgresReplication, source);
                    await DrainOrFailAsync(workload, sink, build, () => context.DrainAsync(workload, sink, run, env, Rows, Payload, build, directory));
                }
            }
        }
        finally
        {
            await pg.DropAsync(run);
        }
    }

    private async Task BinlogAsync(int perTxn)
    {
        var workload = BinlogWorkload(perTxn);
        var db = context.MySql;
        var run = context.NewRun("binlog");
        await db.PrepareAsync(run);
        try
        {
            // A binlog source publishes what commits after its first start: start each relay once so its position is committed.
            // Each build publishes to topics and offsets of its own: a drain's clean-up must not take the committed start
            // position of a build that drains after it.
            var first = new List<(string Build, string? Directory, SinkTarget Sink, string SinkRun, Dictionary<string, string> Env)>();
            foreach (var (build, directory) in context.Builds)
            {
                var sinkRun = $"{run}{build}";
                foreach (var sink in LogSinks(perTxn))
                {
                    var source = $"{build}{sink.Kind}".ToLowerInvariant();
                    var env = db.RelayEnvironment(run, SourceKind.MySqlBinlog, source);
                    env[$"Relay__Sources__{source}__Outbox__TopicTemplate"] = SinkTarget.TopicTemplate(sinkRun);
                    foreach (var (key, value) in sink.Environment(sinkRun)) env[key] = value;
                    first.Add((build, directory, sink, sinkRun, env));
                }
            }
            ProgressLog.Step($"{workload}: committing the start position of {first.Count} relay(s)");
            foreach (var (build, directory, sink, sinkRun, env) in first.ToList())
            {
                try
                {
                    await using var relay = RelayUnderTest.Start(env, directory);
                    await relay.WaitReadyAsync(TimeSpan.FromSeconds(60));
                    await sink.WaitForPositionAsync(sinkRun, $"{build}{sink.Kind}".ToLowerInvariant(), TimeSpan.FromSeconds(30), relay.ThrowIfExited);
                }
                catch (Exception e)
                {
                    // A baseline build may not know a newer sink: the other drains go on without it.
                    Failed(workload, sink, build, e);
                    first.RemoveAll(f => f.Build == build && f.Sink.Kind == sink.Kind);
                }
            }

            var (file, position) = await db.BinlogEndAsync();
            ProgressLog.Step($"{workload}: filling {Rows:N0} rows");
            await db.FillAsync(run, Rows, perTxn, Payload);

            var bare = await BareBinlogReader.RunAsync(db.ConnectionString, file, position, Rows);
            context.Results.Add(new LimitResult(workload, bare));
            ProgressLog.Step($"{workload}: {bare.Name}: {bare.MessagesPerSecond:N0} msg/s ({bare.Bytes / 1e6:N0} MB of binlog)");
            var tool = await MySqlBinlogTool.RunAsync(db.ConnectionString, file, position, Rows);
            context.Results.Add(new LimitResult(workload, tool));
            ProgressLog.Step($"{workload}: {tool.Name}: {tool.MessagesPerSecond:N0} msg/s");

            var turn = perTxn == 1 ? 0 : 1;
            foreach (var sink in LogSinks(perTxn))
            {
                foreach (var (build, _) in context.BuildsInTurn(turn++))
                {
                    if (first.SingleOrDefault(f => f.Build == build && f.Sink.Kind == sink.Kind) is not { Env: not null } started) continue;
                    await DrainOrFailAsync(workload, sink, build,
                        () => context.DrainAsync(workload, sink, started.SinkRun, started.Env, Rows, Payload, build, started.Directory));
                }
            }
        }
        finally
        {
            await db.DropAsync(run);
        }
    }

    /// <summary>One drain; its failure (a baseline build that does not know a newer sink, say) is noted and the others go on.</summary>
    private async Task DrainOrFailAsync(string workload, SinkTarget sink, string build, Func<Task<DrainRun>> drain)
    {
        try
        {
            context.Results.Add(await drain());
        }
        catch (Exception e)
        {
            Failed(workload, sink, build, e);
        }
    }

    private void Failed(string workload, SinkTarget sink, string build, Exception e)
    {
        ProgressLog.Step($"{workload} → {sink.Kind} [{build}]: FAILED: {e.Message.Split('\n')[0]}");
        context.Results.Fail($"{workload} → {sink.Kind} [{build}]: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
    }

    private async Task PollingAsync(SourceKind kind, string workload)
    {
        var db = context.Database(kind);
        var turn = 0;
        foreach (var sink in context.Sinks.Where(s => context.Settings.DrainsInto(s.Kind)))
        {
            foreach (var (build, directory) in context.BuildsInTurn(turn++))
            {
                var run = context.NewRun("poll");
                await db.PrepareAsync(run);
                try
                {
                    ProgressLog.Step($"{workload}: filling {Rows:N0} rows");
                    await db.FillAsync(run, Rows, 1000, Payload);
                    var env = db.RelayEnvironment(run, kind);
                    context.Results.Add(await context.DrainAsync(workload, sink, run, env, Rows, Payload, build, directory));
                }
                finally
                {
                    await db.DropAsync(run);
                }
            }
        }
    }
}
