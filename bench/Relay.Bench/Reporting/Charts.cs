using ScottPlot;
using Relay.Bench.Scenarios;

namespace Relay.Bench.Reporting;

/// <summary>The plots a person would rather look at than read: latency against offered load, throughput against its limits, memory against its budget.</summary>
public static class Charts
{
    private static readonly Color[] Colors = [new("#1f77b4"), new("#ff7f0e"), new("#2ca02c"), new("#d62728"), new("#9467bd"), new("#8c564b")];

    /// <summary>Writes the plots as <paramref name="prefix"/>NAME.png (a quick run's beside a full one's) and returns their file names.</summary>
    public static List<string> Draw(BenchResults results, string directory, string prefix)
    {
        var written = new List<string>();
        foreach (var (name, draw) in new (string, Func<BenchResults, string, bool>)[]
                 { ("latency-vs-load.png", Latency), ("throughput-vs-limit.png", Throughput), ("memory.png", Memory) })
        {
            if (draw(results, Path.Combine(directory, prefix + name))) written.Add(prefix + name);
        }
        return written;
    }

    /// <summary>p50 (dashed) and p99 (solid) of each pipeline against the achieved rate, on a log scale, with the 25 ms goal.</summary>
    private static bool Latency(BenchResults results, string path)
    {
        var runs = results.Latencies.Where(l => l.Build == "current" && l.Messages > 0).ToList();
        if (runs.Count == 0) return false;
        var plot = new Plot();
        var color = 0;
        foreach (var group in runs.GroupBy(l => l.Pipeline))
        {
            var points = group.OrderBy(l => l.AchievedRate).ToList();
            var xs = points.Select(l => l.AchievedRate / 1000).ToArray();
            var p99 = plot.Add.Scatter(xs, points.Select(l => Math.Log10(Math.Max(0.1, l.P99))).ToArray());
            p99.LegendText = $"{group.Key} p99";
            p99.Color = Colors[color % Colors.Length];
            p99.LineWidth = 2;
            p99.MarkerSize = 8;
            var p50 = plot.Add.Scatter(xs, points.Select(l => Math.Log10(Math.Max(0.1, l.P50))).ToArray());
            p50.LegendText = $"{group.Key} p50";
            p50.Color = Colors[color % Colors.Length];
            p50.LinePattern = LinePattern.Dashed;
            p50.MarkerSize = 5;
            color++;
        }
        var goal = plot.Add.HorizontalLine(Math.Log10(25));
        goal.Color = Colors[3].WithAlpha(0.6);
        goal.LinePattern = LinePattern.Dotted;
        goal.LegendText = "goal: p99 25 ms at 5k msg/s";
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0.#"),
        };
        plot.Title("Latency vs offered load: row commit → visible to a consumer");
        plot.XLabel("achieved offered rate (thousand msg/s)");
        plot.YLabel("latency (ms, log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1100, 650);
        return true;
    }

    /// <summary>Per workload, the relay into each sink beside the bare decode of the same log.</summary>
    private static bool Throughput(BenchResults results, string path)
    {
        var drains = results.Drains.Where(d => d.Build == "current").ToList();
        if (drains.Count == 0) return false;
        var workloads = drains.Select(d => d.Workload).Distinct().ToList();
        var series = new List<(string Name, Func<string, double?> Value)>
        {
            ("bare decode (limit)", w => results.Limits.Where(l => l.Workload == w && !l.Run.Name.StartsWith("mysqlbinlog", StringComparison.Ordinal))
                .Select(l => (double?)l.Run.MessagesPerSecond).DefaultIfEmpty(null).Max()),
            ("Relay → Redis", w => drains.FirstOrDefault(d => d.Workload == w && d.Sink == "Redis")?.MessagesPerSecond),
            ("Relay → Kafka", w => drains.FirstOrDefault(d => d.Workload == w && d.Sink == "Kafka")?.MessagesPerSecond),
            ("Relay → NATS", w => drains.FirstOrDefault(d => d.Workload == w && d.Sink == "Nats")?.MessagesPerSecond),
            ("Relay → RabbitMQ", w => drains.FirstOrDefault(d => d.Workload == w && d.Sink == "RabbitMq")?.MessagesPerSecond),
        };
        var plot = new Plot();
        var bars = new List<Bar>();
        for (var w = 0; w < workloads.Count; w++)
        {
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].Value(workloads[w]) is not { } value) continue;
                bars.Add(new Bar
                {
                    Position = w * (series.Count + 1) + s,
                    Value = value / 1000,
                    FillColor = Colors[s],
                    Label = (value / 1000).ToString("0.#") + "k",
                });
            }
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(
            workloads.Select((_, w) => (double)(w * (series.Count + 1) + 1)).ToArray(),
            workloads.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        for (var s = 0; s < series.Count; s++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = Colors[s] });
        plot.Axes.Margins(bottom: 0);
        plot.Title("Catch-up throughput vs the bare decode of the same log");
        plot.YLabel("thousand msg/s (start-up included)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1300, 600);
        return true;
    }

    /// <summary>Peak RSS of every drain and footprint run against the 200 MB budget.</summary>
    private static bool Memory(BenchResults results, string path)
    {
        var runs = results.Footprints.Concat(results.Drains).Where(d => d.Build == "current").ToList();
        if (runs.Count == 0) return false;
        var plot = new Plot();
        var bars = runs.Select((d, i) => new Bar
        {
            Position = i,
            Value = d.PeakRssMegabytes,
            FillColor = d.PeakRssMegabytes > 200 ? Colors[3] : Colors[0],
            Label = d.PeakRssMegabytes.ToString("0"),
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.SetTicks(runs.Select((_, i) => (double)i).ToArray(), runs.Select(d => $"{d.Workload} → {d.Sink}").ToArray());
        var budget = plot.Add.VerticalLine(200);
        budget.LinePattern = LinePattern.Dashed;
        budget.Color = Colors[3];
        budget.LegendText = "budget 200 MB";
        plot.Axes.Margins(left: 0);
        plot.Title("Peak RSS of the relay process");
        plot.XLabel("MB (VmHWM)");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1100, 120 + 32 * runs.Count);
        return true;
    }

    /// <summary>The fixed-rate plots: CPU per message against rate beside the log clients, latency against rate beside the bare reader, and the 1k rows/s timelines.</summary>
    public static List<string> DrawFixedRate(BenchResults results, string directory, string prefix)
    {
        var written = new List<string>();
        foreach (var (name, draw) in new (string, Func<BenchResults, string, bool>)[]
                 { ("fixedrate-cpu.png", FixedRateCpu), ("fixedrate-latency.png", FixedRateLatency), ("fixedrate-timeline.png", FixedRateTimeline) })
        {
            if (draw(results, Path.Combine(directory, prefix + name))) written.Add(prefix + name);
        }
        return written;
    }

    private static double Log(double value) => Math.Log10(Math.Max(0.1, value));

    private static void LogAxis(IAxis axis, string format) => axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => Math.Pow(10, v).ToString(format),
    };

    private static bool FixedRateCpu(BenchResults results, string path)
    {
        var runs = results.FixedRates.Where(f => f.Build == "current" && f.Messages > 0).ToList();
        if (runs.Count == 0) return false;
        var plot = new Plot();
        var color = 0;
        foreach (var group in runs.GroupBy(f => f.Pipeline))
        {
            var points = group.OrderBy(f => f.OfferedRate).ToList();
            var line = plot.Add.Scatter(points.Select(f => Log(f.OfferedRate)).ToArray(), points.Select(f => Log(f.RelayMicrosPerMessage)).ToArray());
            line.LegendText = $"Relay, {group.Key}";
            line.Color = Colors[color++ % Colors.Length];
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }
        foreach (var group in runs.Where(f => f.LimitName is not null).GroupBy(f => f.LimitName!))
        {
            var points = group.GroupBy(f => f.OfferedRate).OrderBy(g => g.Key).Select(g => (Rate: g.Key, Micros: g.Average(f => f.LimitMicrosPerMessage))).ToList();
            var line = plot.Add.Scatter(points.Select(p => Log(p.Rate)).ToArray(), points.Select(p => Log(p.Micros)).ToArray());
            line.LegendText = $"limit: {group.Key}";
            line.Color = Colors[color++ % Colors.Length];
            line.LinePattern = LinePattern.Dashed;
            line.MarkerSize = 6;
        }
        LogAxis(plot.Axes.Bottom, "N0");
        LogAxis(plot.Axes.Left, "0.#");
        plot.Title("CPU per message at a steady rate of single-row transactions (start-up excluded)");
        plot.XLabel("offered rows/s (log scale)");
        plot.YLabel("process CPU µs per message (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1100, 650);
        return true;
    }

    private static bool FixedRateLatency(BenchResults results, string path)
    {
        var runs = results.FixedRates.Where(f => f.Build == "current" && f.Latency.Messages > 0).ToList();
        if (runs.Count == 0) return false;
        var plot = new Plot();
        var color = 0;
        foreach (var group in runs.GroupBy(f => f.Pipeline))
        {
            var points = group.OrderBy(f => f.OfferedRate).ToList();
            var xs = points.Select(f => Log(f.OfferedRate)).ToArray();
            var p99 = plot.Add.Scatter(xs, points.Select(f => Log(f.Latency.WarmP99)).ToArray());
            p99.LegendText = $"{group.Key} p99 after 3 s";
            p99.Color = Colors[color % Colors.Length];
            p99.LineWidth = 2;
            p99.MarkerSize = 8;
            var max = plot.Add.Scatter(xs, points.Select(f => Log(f.Latency.WarmMax)).ToArray());
            max.LegendText = $"{group.Key} max after 3 s";
            max.Color = Colors[color % Colors.Length].WithAlpha(0.5);
            max.LinePattern = LinePattern.Dotted;
            max.MarkerSize = 5;
            color++;
        }
        var bare = runs.Where(f => f.BareLatency is not null).GroupBy(f => f.OfferedRate).OrderBy(g => g.Key)
            .Select(g => (Rate: g.Key, P99: g.Average(f => f.BareLatency!.WarmP99))).ToList();
        if (bare.Count > 0)
        {
            var line = plot.Add.Scatter(bare.Select(b => Log(b.Rate)).ToArray(), bare.Select(b => Log(b.P99)).ToArray());
            line.LegendText = "limit: bare Npgsql reader p99 after 3 s";
            line.Color = Colors[5];
            line.LinePattern = LinePattern.Dashed;
        }
        var goal = plot.Add.HorizontalLine(Log(10));
        goal.Color = Colors[3].WithAlpha(0.6);
        goal.LinePattern = LinePattern.Dotted;
        goal.LegendText = "goal: p99 10 ms at 1k rows/s";
        LogAxis(plot.Axes.Bottom, "N0");
        LogAxis(plot.Axes.Left, "0.#");
        plot.Title("Insert → visible at a steady rate of single-row transactions");
        plot.XLabel("offered rows/s (log scale)");
        plot.YLabel("latency ms (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1100, 650);
        return true;
    }

    private static bool FixedRateTimeline(BenchResults results, string path)
    {
        var runs = results.FixedRates.Where(f => f.Build == "current" && f.OfferedRate == 1_000 && f.Latency.Messages > 0).ToList();
        if (runs.Count == 0) return false;
        var plot = new Plot();
        var color = 0;
        void Add(string name, double[] maxima, bool dashed)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (var q = 0; q < maxima.Length; q++)
            {
                if (double.IsNaN(maxima[q])) continue;
                xs.Add(q / 4.0);
                ys.Add(Log(maxima[q]));
            }
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = name;
            line.Color = Colors[color++ % Colors.Length];
            line.MarkerSize = 0;
            line.LineWidth = dashed ? 1 : 1.5f;
            if (dashed) line.LinePattern = LinePattern.Dashed;
        }
        foreach (var f in runs)
        {
            Add($"Relay, {f.Pipeline}", f.Latency.QuarterSecondMax, false);
            if (f.BareLatency is { } bare) Add($"bare Npgsql reader (same run as {f.Pipeline})", bare.QuarterSecondMax, true);
        }
        var goal = plot.Add.HorizontalLine(Log(50));
        goal.Color = Colors[3].WithAlpha(0.6);
        goal.LinePattern = LinePattern.Dotted;
        goal.LegendText = "goal: max 50 ms";
        LogAxis(plot.Axes.Left, "0.#");
        plot.Title("Slowest row per quarter second at 1,000 rows/s (insert → visible)");
        plot.XLabel("seconds after the writer started");
        plot.YLabel("max latency ms (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1300, 650);
        return true;
    }
}
