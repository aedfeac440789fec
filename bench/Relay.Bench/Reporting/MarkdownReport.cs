using System.Globalization;
using System.Text;
using Relay.Bench.Infrastructure;
using Relay.Bench.Scenarios;

namespace Relay.Bench.Reporting;

/// <summary>The results as Markdown: the machine, each table, and the goals with what was measured against them.</summary>
public sealed class MarkdownReport(BenchResults results, BenchSettings settings, string header)
{
    private readonly StringBuilder _text = new();

    public string Render()
    {
        _text.AppendLine(header);
        CatchUp();
        BeforeAfter();
        Latency();
        Footprint();
        Growth();
        Goals();
        if (results.Notes.Count > 0 || results.Failures.Count > 0)
        {
            _text.AppendLine("## Notes").AppendLine();
            foreach (var failure in results.Failures) _text.AppendLine($"- FAILED: {failure}");
            foreach (var note in results.Notes) _text.AppendLine($"- {note}");
            _text.AppendLine();
        }
        return _text.ToString();
    }

    private static string N(double value) => double.IsNaN(value) ? "—" : value.ToString("N0", CultureInfo.InvariantCulture);
    private static string F(double value, int digits = 1) => double.IsNaN(value) ? "—" : value.ToString("N" + digits, CultureInfo.InvariantCulture);
    private static string X(double? ratio) => ratio is { } r && !double.IsNaN(r) ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";

    private double? BareDecode(string workload)
    {
        var limits = results.Limits.Where(l => l.Workload == workload && !l.Run.Name.StartsWith("mysqlbinlog", StringComparison.Ordinal)).ToList();
        return limits.Count == 0 ? null : limits.Max(l => l.Run.MessagesPerSecond);
    }

    private double? SinkLimit(string sink) =>
        results.Limit(CatchUpScenario.SinkWorkload, sink == "Redis" ? "pipelined XADD" : "transactional producer");

    private void CatchUp()
    {
        var current = results.Drains.Where(d => d.Build == "current").ToList();
        if (current.Count == 0) return;
        _text.AppendLine($"## Catch-up throughput ({settings.CatchUpRows:N0} rows of {BenchSettings.PayloadBytes} B JSON per drain)").AppendLine();
        _text.AppendLine("msg/s from the relay process's start to the last message visible to a consumer (start-up included, as a restarted relay pays it); " +
                         "*steady* from the first message visible to the last. The limit for a log is the faster of the bare decoders below; " +
                         "for a sink, the raw write rate with the relay's batch size (1,000).").AppendLine();
        _text.AppendLine("| workload | sink | Relay msg/s | steady msg/s | MB/s | × bare decode | × raw sink | peak RSS MB | CPU s / 1M msgs | mean batch | mean publish ms |");
        _text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var d in current)
        {
            var bare = BareDecode(d.Workload);
            var sink = SinkLimit(d.Sink);
            _text.AppendLine($"| {d.Workload} | {d.Sink} | {N(d.MessagesPerSecond)} | {N(d.SteadyMessagesPerSecond)} | {F(d.PayloadMegabytesPerSecond)} | " +
                             $"{X(d.MessagesPerSecond / bare)} | {X(d.MessagesPerSecond / sink)} | {N(d.PeakRssMegabytes)} | {F(d.CpuSecondsPerMillion)} | {N(d.MeanBatch)} | {F(d.MeanCommitMilliseconds)} |");
        }
        _text.AppendLine().AppendLine("The limits, measured in the same run on the same data:").AppendLine();
        _text.AppendLine("| workload | limit | msg/s | MB read |");
        _text.AppendLine("|---|---|--:|--:|");
        foreach (var l in results.Limits)
            _text.AppendLine($"| {l.Workload} | {l.Run.Name} | {N(l.Run.MessagesPerSecond)} | {(l.Run.Bytes > 0 ? F(l.Run.Bytes / 1e6, 0) : "—")} |");
        _text.AppendLine();
    }

    private void BeforeAfter()
    {
        var baseline = results.Drains.Concat(results.Footprints).Where(d => d.Build == "baseline").ToList();
        var latencyBefore = results.Latencies.Where(l => l.Build == "baseline").ToList();
        if (baseline.Count == 0 && latencyBefore.Count == 0) return;
        _text.AppendLine("## Before / after (the baseline build and this one, in the same run)").AppendLine();
        _text.AppendLine("| workload | sink | before msg/s | after msg/s | gain | before peak RSS MB | after peak RSS MB | before CPU s/1M | after CPU s/1M |");
        _text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var before in baseline)
        {
            var after = results.Drains.Concat(results.Footprints).FirstOrDefault(d => d.Build == "current" && d.Workload == before.Workload && d.Sink == before.Sink);
            if (after is null) continue;
            _text.AppendLine($"| {before.Workload} | {before.Sink} | {N(before.MessagesPerSecond)} | {N(after.MessagesPerSecond)} | {X(after.MessagesPerSecond / before.MessagesPerSecond)} | " +
                             $"{N(before.PeakRssMegabytes)} | {N(after.PeakRssMegabytes)} | {F(before.CpuSecondsPerMillion)} | {F(after.CpuSecondsPerMillion)} |");
        }
        if (latencyBefore.Count > 0)
        {
            _text.AppendLine().AppendLine("| pipeline | offered msg/s | before p99 ms | after p99 ms | before p99 first 3 s | after p99 first 3 s |");
            _text.AppendLine("|---|--:|--:|--:|--:|--:|");
            foreach (var before in latencyBefore)
            {
                var after = results.Latencies.FirstOrDefault(l => l.Build == "current" && l.Pipeline == before.Pipeline && l.OfferedRate == before.OfferedRate);
                if (after is null) continue;
                _text.AppendLine($"| {before.Pipeline} | {Rate(before.OfferedRate)} | {F(before.P99)} | {F(after.P99)} | {F(before.WarmupP99)} | {F(after.WarmupP99)} |");
            }
        }
        _text.AppendLine();
    }

    private static string Rate(int rate) => rate > 0 ? rate.ToString("N0", CultureInfo.InvariantCulture) : "max";

    private void Latency()
    {
        var current = results.Latencies.Where(l => l.Build == "current").ToList();
        if (current.Count == 0) return;
        _text.AppendLine($"## Latency under load (row commit → visible to a consumer; {settings.LatencyDuration.TotalSeconds:0} s per rate, a fresh relay each)").AppendLine();
        _text.AppendLine("Writers start as soon as the relay reports ready, so the first seconds after a start are included; *first 3 s* is their p99 alone. " +
                         "Up to 5k msg/s the writers commit single-row transactions, above that 10-row transactions. " +
                         $"*{Scenarios.LatencyScenario.BareWalPipeline}* is the limit: the same writers with Npgsql's pgoutput reader in the bench " +
                         "process in place of the relay and its sink, seeing each row as it decodes it.").AppendLine();
        _text.AppendLine("| pipeline | offered msg/s | achieved msg/s | messages | p50 ms | p99 ms | p99.9 ms | max ms | p99 first 3 s | p99 after | peak RSS MB |");
        _text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var l in current)
            _text.AppendLine($"| {l.Pipeline} | {Rate(l.OfferedRate)} | {N(l.AchievedRate)} | {N(l.Messages)} | {F(l.P50)} | {F(l.P99)} | {F(l.P999)} | {F(l.Max, 0)} | " +
                             $"{F(l.WarmupP99)} | {F(l.WarmP99)} | {(l.PeakRssBytes > 0 ? N(l.PeakRssBytes / 1048576.0) : "—")} |");
        _text.AppendLine();
    }

    private void Footprint()
    {
        var current = results.Footprints.Where(d => d.Build == "current").ToList();
        if (current.Count == 0) return;
        _text.AppendLine("## Memory and CPU").AppendLine();
        _text.AppendLine("| workload | sink | msg/s | peak RSS MB | CPU s / 1M msgs |");
        _text.AppendLine("|---|---|--:|--:|--:|");
        foreach (var d in current)
            _text.AppendLine($"| {d.Workload} | {d.Sink} | {N(d.MessagesPerSecond)} | {N(d.PeakRssMegabytes)} | {F(d.CpuSecondsPerMillion)} |");
        _text.AppendLine();
    }

    private void Growth()
    {
        var current = results.Growth.Where(g => g.Drain.Build == "current").ToList();
        if (current.Count == 0) return;
        _text.AppendLine("## Cost growth (WAL → Redis)").AppendLine();
        _text.AppendLine("| grows | value | messages | msg/s | MB/s | peak RSS MB | CPU s / 1M msgs |");
        _text.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var g in current)
            _text.AppendLine($"| {g.Dimension} | {g.Value} | {N(g.Drain.Messages)} | {N(g.Drain.MessagesPerSecond)} | {F(g.Drain.PayloadMegabytesPerSecond)} | " +
                             $"{N(g.Drain.PeakRssMegabytes)} | {F(g.Drain.CpuSecondsPerMillion)} |");
        _text.AppendLine();
    }

    private void Goals()
    {
        var drains = results.Drains.Where(d => d.Build == "current").ToList();
        var rows = new List<(string Goal, string Measured, bool? Met)>();
        foreach (var perTxn in new[] { 1, 100 })
        {
            var workload = CatchUpScenario.WalWorkload(perTxn);
            foreach (var sink in new[] { "Redis", "Kafka" })
            {
                var d = drains.FirstOrDefault(x => x.Workload == workload && x.Sink == sink);
                var bare = BareDecode(workload);
                if (d is null || bare is null) continue;
                var ratio = d.MessagesPerSecond / bare.Value;
                rows.Add(($"≥ 0.8× bare decode, {workload} → {sink}", $"{X(ratio)} ({N(d.MessagesPerSecond)} of {N(bare.Value)} msg/s)", ratio >= 0.8));
            }
        }
        foreach (var l in results.Latencies.Where(l => l.Build == "current" && l.OfferedRate == 5_000 && l.Pipeline != Scenarios.LatencyScenario.BareWalPipeline))
            rows.Add(($"p99 ≤ 25 ms at 5k msg/s, {l.Pipeline}", $"{F(l.P99)} ms (first 3 s {F(l.WarmupP99)} ms)", l.P99 <= 25));
        var all = drains.Concat(results.Footprints.Where(d => d.Build == "current")).ToList();
        if (all.Count > 0)
        {
            var worst = all.MaxBy(d => d.PeakRssBytes)!;
            rows.Add(("peak RSS ≤ 200 MB for any backlog", $"{N(worst.PeakRssMegabytes)} MB at most ({worst.Workload} → {worst.Sink})", worst.PeakRssMegabytes <= 200));
        }
        foreach (var perTxn in new[] { 1, 100 })
        {
            foreach (var sink in new[] { "Redis", "Kafka" })
            {
                var wal = drains.FirstOrDefault(x => x.Workload == CatchUpScenario.WalWorkload(perTxn) && x.Sink == sink);
                var binlog = drains.FirstOrDefault(x => x.Workload == CatchUpScenario.BinlogWorkload(perTxn) && x.Sink == sink);
                if (wal is null || binlog is null) continue;
                rows.Add(($"binlog ≥ WAL, {perTxn}-row txns → {sink}", $"{N(binlog.MessagesPerSecond)} vs {N(wal.MessagesPerSecond)} msg/s ({X(binlog.MessagesPerSecond / wal.MessagesPerSecond)})",
                    binlog.MessagesPerSecond >= wal.MessagesPerSecond));
            }
        }
        foreach (var d in drains.Where(x => x.Workload is CatchUpScenario.PostgresPollingWorkload or CatchUpScenario.MySqlPollingWorkload))
            rows.Add(($"polling ≥ 20k msg/s, {d.Workload} → {d.Sink}", $"{N(d.MessagesPerSecond)} msg/s", d.MessagesPerSecond >= 20_000));
        if (rows.Count == 0) return;
        _text.AppendLine("## Goals").AppendLine();
        _text.AppendLine("| goal | measured | met |");
        _text.AppendLine("|---|---|:-:|");
        foreach (var (goal, measured, met) in rows)
            _text.AppendLine($"| {goal} | {measured} | {(met == true ? "yes" : "**no**")} |");
        _text.AppendLine();
    }
}
