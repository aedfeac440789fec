using Relay.Bench.Infrastructure;

namespace Relay.Bench.Scenarios;

/// <summary>
/// Memory and CPU: peak RSS and CPU seconds per million messages while draining a large backlog (100-row transactions)
/// and a single very large transaction, which a relay must publish in chunks without holding it all.
/// </summary>
public sealed class FootprintScenario(BenchContext context)
{
    public async Task RunAsync()
    {
        var settings = context.Settings;
        var cases = new List<(string Workload, SourceKind Kind, SinkKind Sink, int Rows, int PerTxn)>
        {
            ($"WAL backlog, {settings.BacklogRows:N0} rows in 100-row txns", SourceKind.PostgresReplication, SinkKind.Redis, settings.BacklogRows, 100),
            ($"WAL, one {settings.LargeTransactionRows:N0}-row txn", SourceKind.PostgresReplication, SinkKind.Redis, settings.LargeTransactionRows, settings.LargeTransactionRows),
            ($"WAL, one {settings.LargeTransactionRows:N0}-row txn", SourceKind.PostgresReplication, SinkKind.Kafka, settings.LargeTransactionRows, settings.LargeTransactionRows),
            ($"binlog, one {settings.LargeTransactionRows:N0}-row txn", SourceKind.MySqlBinlog, SinkKind.Redis, settings.LargeTransactionRows, settings.LargeTransactionRows),
        };
        foreach (var (build, directory) in context.Builds)
        {
            foreach (var (workload, kind, sinkKind, rows, perTxn) in cases)
            {
                try
                {
                    await MeasureAsync(workload, kind, context.Sink(sinkKind), rows, perTxn, build, directory);
                }
                catch (Exception e)
                {
                    ProgressLog.Step($"{workload} FAILED: {e.Message}");
                    context.Results.Fail($"{workload} → {sinkKind} [{build}]: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                }
            }
        }
    }

    private async Task MeasureAsync(string workload, SourceKind kind, SinkTarget sink, int rows, int perTxn, string build, string? directory)
    {
        var db = context.Database(kind);
        var run = context.NewRun("mem");
        await db.PrepareAsync(run);
        try
        {
            var env = db.RelayEnvironment(run, kind);
            if (db is PostgresOutbox pg) await pg.CreateSlotAsync(PostgresOutbox.Slot(run, "src"));
            else
            {
                foreach (var (key, value) in sink.Environment(run)) env[key] = value;
                await using var relay = RelayUnderTest.Start(env, directory);
                await relay.WaitReadyAsync(TimeSpan.FromSeconds(60));
                await sink.WaitForPositionAsync(run, "src", TimeSpan.FromSeconds(30), relay.ThrowIfExited);
            }
            ProgressLog.Step($"{workload}: filling");
            await db.FillAsync(run, rows, perTxn, BenchSettings.PayloadBytes);
            context.Results.AddFootprint(await context.DrainAsync(workload, sink, run, env, rows, BenchSettings.PayloadBytes, build, directory));
        }
        finally
        {
            await db.DropAsync(run);
        }
    }
}
