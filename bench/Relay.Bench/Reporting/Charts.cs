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
}
