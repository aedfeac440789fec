using OpenTelemetry;
using OpenTelemetry.Metrics;
using Relay.Telemetry;

namespace Relay.Tests.Telemetry;

/// <summary>The Relay meter read through OpenTelemetry's in-memory exporter: each read is a fresh snapshot.</summary>
internal sealed class MetricReader : IDisposable
{
    private readonly List<MetricSnapshot> _exported = new();
    private readonly MeterProvider _provider;

    public MetricReader()
    {
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(RelayTelemetry.Name).AddInMemoryExporter(_exported).Build()!;
    }

    /// <summary>Every point of the instrument whose tags include <paramref name="tags"/>.</summary>
    public IReadOnlyList<MetricPoint> Points(string instrument, params (string Key, string Value)[] tags) =>
        Typed(instrument, tags).Select(p => p.Point).ToList();

    private List<(MetricPoint Point, MetricType Type)> Typed(string instrument, (string Key, string Value)[] tags)
    {
        lock (_exported)
        {
            _exported.Clear();
            _provider.ForceFlush();
            var points = new List<(MetricPoint, MetricType)>();
            foreach (var metric in _exported.Where(m => m.Name == instrument))
                foreach (var point in metric.MetricPoints)
                    if (tags.All(t => Tags(point).TryGetValue(t.Key, out var v) && v == t.Value)) points.Add((point, metric.MetricType));
            return points;
        }
    }

    public static Dictionary<string, string?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, string?>();
        foreach (var tag in point.Tags) tags[tag.Key] = tag.Value?.ToString();
        return tags;
    }

    /// <summary>A counter's total over the matching points.</summary>
    public long Sum(string instrument, params (string Key, string Value)[] tags) =>
        Points(instrument, tags).Sum(p => p.GetSumLong());

    /// <summary>A gauge's value at the single matching point, or null when there is none.</summary>
    public double? Gauge(string instrument, params (string Key, string Value)[] tags)
    {
        var points = Typed(instrument, tags);
        if (points.Count == 0) return null;
        var (point, type) = Assert.Single(points);
        return type is MetricType.LongGauge ? point.GetGaugeLastValueLong() : point.GetGaugeLastValueDouble();
    }

    public void Dispose() => _provider.Dispose();
}
