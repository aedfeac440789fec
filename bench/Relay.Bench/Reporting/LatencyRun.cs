namespace Relay.Bench.Reporting;

/// <summary>Row commit → visible to a consumer, per message, at one offered rate (0 = as fast as the writers go).</summary>
public sealed record LatencyRun(
    string Pipeline,
    int OfferedRate,
    double AchievedRate,
    long Messages,
    double P50,
    double P99,
    double P999,
    double Max,
    double WarmupP99,
    double WarmP99,
    long PeakRssBytes,
    string Build);
