using System.Globalization;
using System.Text;
using Relay.Bench.Infrastructure;
using Relay.Bench.Limits;
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
        FixedRate();
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
        results.Limit(CatchUpScenario.SinkWorkload, sink switch
        {
            nameof(SinkKind.Redis) => "pipelined XADD",
            nameof(SinkKind.Nats) => RawNatsPublisher.Name,
            nameof(SinkKind.RabbitMq) => RawRabbitMqPublisher.Name,
            _ => "transactional producer",
        });

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

    /// <summary>The fixed-rate section alone, for fixedrate.md.</summary>
    public string RenderFixedRate()
    {
        _text.Clear();
        _text.AppendLine(header);
        FixedRate();
        if (results.Notes.Count > 0 || results.Failures.Count > 0)
        {
            _text.AppendLine("## Notes").AppendLine();
            foreach (var failure in results.Failures) _text.AppendLine($"- FAILED: {failure}");
            foreach (var note in results.Notes) _text.AppendLine($"- {note}");
            _text.AppendLine();
        }
        return _text.ToString();
    }

    private void FixedRate()
    {
        if (results.FixedRates.Count == 0) return;
        _text.AppendLine($"## Fixed rate: single-row transactions at a steady offered rate ({settings.FixedRateDuration.TotalSeconds:0} s per rate, a fresh relay each)").AppendLine();
        _text.AppendLine("CPU is the process's (user + system, /proc) from the moment the relay is ready and the log client connected to the moment " +
                         "the last row is visible, so start-up is excluded; the *log client* (pg_recvlogical with pgoutput, or mysqlbinlog " +
                         "--read-from-remote-server --stop-never, output to /dev/null) follows the same log over the same rows at the same time, " +
                         "measured the same way. Latency: the row's insert time (the database's clock, in the payload) → a consumer of the sink sees it, " +
                         "so it includes the commit; *after 3 s* leaves out the first 3 s after the start. *bare* is Npgsql's pgoutput reader in the " +
                         "bench process on its own slot in the same run: what any .NET reader of the WAL sees on this machine at that moment. " +
                         "RSS is VmRSS at the end of the run.").AppendLine();
        _text.AppendLine("| pipeline | build | offered rows/s | achieved | relay µs CPU/msg | log client µs CPU/msg | × log client | RSS MB | mean batch | µs CPU/batch | p50 ms | p99 ms | p99.9 ms | max ms | p99 first 3 s | p99 after 3 s | max after 3 s | bare p99 / max ms |");
        _text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var f in results.FixedRates)
        {
            var l = f.Latency;
            _text.AppendLine($"| {f.Pipeline} | {f.Build} | {f.OfferedRate:N0} | {N(f.AchievedRate)} | {F(f.RelayMicrosPerMessage, 0)} | {F(f.LimitMicrosPerMessage, 0)} | {X(f.CpuRatio)} | " +
                             $"{N(f.SteadyRssBytes / 1048576.0)} | {F(f.MeanBatch)} | {F(f.RelayMicrosPerBatch, 0)} | {F(l.P50)} | {F(l.P99)} | {F(l.P999)} | {F(l.Max, 0)} | {F(l.WarmupP99)} | {F(l.WarmP99)} | {F(l.WarmMax, 0)} | " +
                             $"{(f.BareLatency is { } b ? $"{F(b.P99)} / {F(b.Max, 0)}" : "—")} |");
        }
        _text.AppendLine();
        if (results.FixedRates.Any(f => f.WorkPerMessage.Count > 0))
        {
            _text.AppendLine("Work per message, counted rather than timed, so the machine's load inflates it less than CPU time (context switches " +
                             "of the relay's live threads from /proc; the rest from the runtime's metrics; GCs and GC pause are totals over the run):").AppendLine();
            _text.AppendLine("| pipeline | build | offered rows/s | context switches | allocated bytes | thread-pool work items | lock contentions | GCs | GC pause ms |");
            _text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var f in results.FixedRates)
            {
                double W(string key, double scale = 1) => f.WorkPerMessage.TryGetValue(key, out var v) ? v * scale : double.NaN;
                _text.AppendLine($"| {f.Pipeline} | {f.Build} | {f.OfferedRate:N0} | {F(W("context switches"), 2)} | {N(W("allocated bytes"))} | {F(W("thread-pool work items"), 2)} | " +
                                 $"{F(W("lock contentions"), 3)} | {N(W("GCs", f.Messages))} | {F(W("GC pause s", f.Messages * 1000.0))} |");
            }
            _text.AppendLine();
        }
        var baseline = results.FixedRates.Where(f => f.Build == "baseline").ToList();
        if (baseline.Count > 0)
        {
            _text.AppendLine("Before / after, same run (each ratio is against the log client measured beside that build's run):").AppendLine();
            _text.AppendLine("| pipeline | rows/s | before µs/msg | after µs/msg | before µs/batch | after µs/batch | before × log client | after × log client | before p99 / max after 3 s | after p99 / max after 3 s |");
            _text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var before in baseline)
            {
                // Rounds pair up in order: the n-th baseline run of a pipeline and rate with the n-th current one.
                var round = baseline.Where(f => f.Pipeline == before.Pipeline && f.OfferedRate == before.OfferedRate).ToList().IndexOf(before);
                var after = results.FixedRates.Where(f => f.Build == "current" && f.Pipeline == before.Pipeline && f.OfferedRate == before.OfferedRate).ElementAtOrDefault(round);
                if (after is null) continue;
                _text.AppendLine($"| {before.Pipeline} | {before.OfferedRate:N0} | {F(before.RelayMicrosPerMessage, 0)} | {F(after.RelayMicrosPerMessage, 0)} | {F(before.RelayMicrosPerBatch, 0)} | {F(after.RelayMicrosPerBatch, 0)} | {X(before.CpuRatio)} | {X(after.CpuRatio)} | " +
                                 $"{F(before.Latency.WarmP99)} / {F(before.Latency.WarmMax, 0)} | {F(after.Latency.WarmP99)} / {F(after.Latency.WarmMax, 0)} |");
            }
            _text.AppendLine();
        }
        // Where the stalls were: the quarter seconds whose slowest row took over 50 ms.
        var stalls = results.FixedRates.Where(f => f.Build == "current")
            .Select(f => (f, Slow: f.Latency.QuarterSecondMax.Select((max, q) => (max, q)).Where(x => x.max > 50).ToList()))
            .Where(x => x.Slow.Count > 0).ToList();
        if (stalls.Count > 0)
        {
            _text.AppendLine("Quarter seconds whose slowest row took over 50 ms (seconds after the writer started: max ms; *bare* the bare reader's max in the same quarter second):").AppendLine();
            foreach (var (f, slow) in stalls)
                _text.AppendLine($"- {f.Pipeline} at {f.OfferedRate:N0}/s: " + string.Join(", ", slow.Take(12).Select(x =>
                    $"{x.q / 4.0:0.00} s: {x.max:0}" + (f.BareLatency is { } b && x.q < b.QuarterSecondMax.Length ? $" (bare {b.QuarterSecondMax[x.q]:0})" : ""))) +
                    (slow.Count > 12 ? $" and {slow.Count - 12} more" : ""));
            _text.AppendLine();
        }
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
        foreach (var f in results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 1_000 && f.LimitName is not null))
            rows.Add(($"CPU/msg ≤ 1.5× the log client at 1k rows/s, {f.Pipeline}", $"{X(f.CpuRatio)} ({F(f.RelayMicrosPerMessage, 0)} vs {F(f.LimitMicrosPerMessage, 0)} µs)", f.CpuRatio <= 1.5));
        foreach (var f in results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 1_000 && f.Pipeline.EndsWith("Redis", StringComparison.Ordinal)))
            rows.Add(($"1k rows/s after 3 s: p99 ≤ 10 ms, max ≤ 50 ms, {f.Pipeline}", $"p99 {F(f.Latency.WarmP99)} ms, max {F(f.Latency.WarmMax, 0)} ms", f.Latency.WarmP99 <= 10 && f.Latency.WarmMax <= 50));
        foreach (var f in results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 5_000 && f.Pipeline.EndsWith("Redis", StringComparison.Ordinal)))
            rows.Add(($"5k rows/s: p99 ≤ 25 ms, {f.Pipeline}", $"p99 {F(f.Latency.P99)} ms", f.Latency.P99 <= 25));
        foreach (var f in results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 1_000))
            rows.Add(($"first 3 s p99 ≤ 50 ms, {f.Pipeline}", $"{F(f.Latency.WarmupP99)} ms", f.Latency.WarmupP99 <= 50));
        foreach (var f in results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 1_000))
            rows.Add(($"steady RSS ≤ 100 MB at 1k rows/s, {f.Pipeline}", $"{N(f.SteadyRssBytes / 1048576.0)} MB", f.SteadyRssBytes <= 100L * 1048576));
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
