using Relay.Bench.Infrastructure;
using Relay.Bench.Reporting;

namespace Relay.Bench.Scenarios;

/// <summary>Cost growth, WAL → Redis: throughput and footprint as the payload, MaxBatchRows and the number of sources in one process grow.</summary>
public sealed class GrowthScenario(BenchContext context)
{
    public async Task RunAsync()
    {
        var rows = context.Settings.GrowthRows;
        foreach (var (build, directory) in context.Builds)
        {
            foreach (var payload in new[] { 100, 1_000, 10_000 })
                await Guard(() => DrainAsync("payload", $"{payload:N0} B", payload == 10_000 ? rows / 5 : rows, 10, payload, 1000, 1, build, directory));
            foreach (var maxBatch in new[] { 100, 1_000, 10_000 })
                await Guard(() => DrainAsync("MaxBatchRows", $"{maxBatch:N0}", rows, 1, BenchSettings.PayloadBytes, maxBatch, 1, build, directory));
            foreach (var sources in new[] { 1, 2, 4 })
                await Guard(() => DrainAsync("sources per process", $"{sources}", rows / sources, 10, BenchSettings.PayloadBytes, 1000, sources, build, directory));
        }
    }

    private async Task Guard(Func<Task> run)
    {
        try { await run(); }
        catch (Exception e)
        {
            ProgressLog.Step($"Growth step FAILED: {e.Message}");
            context.Results.Fail($"growth: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task DrainAsync(string dimension, string value, int rows, int perTxn, int payload, int maxBatchRows, int sources, string build, string? directory)
    {
        var pg = context.Postgres;
        var runs = Enumerable.Range(0, sources).Select(_ => context.NewRun("grow")).ToList();
        var env = new Dictionary<string, string>();
        try
        {
            for (var i = 0; i < sources; i++)
            {
                await pg.PrepareAsync(runs[i]);
                await pg.CreateSlotAsync(PostgresOutbox.Slot(runs[i], $"s{i}"));
                foreach (var (k, v) in pg.RelayEnvironment(runs[i], SourceKind.PostgresReplication, $"s{i}")) env[k] = v;
                env[$"Relay__Sources__s{i}__MaxBatchRows"] = maxBatchRows.ToString();
            }
            ProgressLog.Step($"Growth, {dimension} = {value}: filling {rows * sources:N0} rows");
            foreach (var run in runs) await pg.FillAsync(run, rows, perTxn, payload);
            var drain = await context.DrainAsync($"growth {dimension}={value}", context.Sink(SinkKind.Redis), runs[0], env, rows, payload, build, directory, runs.Skip(1).ToList());
            context.Results.Add(new GrowthRun(dimension, value, drain));
        }
        finally
        {
            foreach (var run in runs) await pg.DropAsync(run);
        }
    }
}
