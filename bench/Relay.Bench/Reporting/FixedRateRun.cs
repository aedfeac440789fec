namespace Relay.Bench.Reporting;

/// <summary>
/// One offered rate of single-row transactions through one pipeline: the relay's CPU between ready and end, its RSS at
/// the end, insert → visible percentiles, and the same run's limit (the database's own log client following the same
/// log, its CPU measured the same way; for WAL also a bare Npgsql reader's latency).
/// </summary>
public sealed record FixedRateRun(
    string Pipeline,
    int OfferedRate,
    string Build,
    string Writer,
    double Seconds,
    long Messages,
    double RelayCpuSeconds,
    long SteadyRssBytes,
    double MeanBatch,
    FixedRateLatency Latency,
    string? LimitName,
    double LimitCpuSeconds,
    FixedRateLatency? BareLatency)
{
    public double AchievedRate => Messages / Seconds;

    public double RelayMicrosPerMessage => Messages > 0 ? RelayCpuSeconds * 1e6 / Messages : double.NaN;

    public double LimitMicrosPerMessage => LimitName is not null && Messages > 0 ? LimitCpuSeconds * 1e6 / Messages : double.NaN;

    /// <summary>Relay's CPU per message over the limit's, both measured over the same rows in the same run.</summary>
    public double CpuRatio => RelayMicrosPerMessage / LimitMicrosPerMessage;
}

/// <summary>Insert → visible latency of one run (ms): overall, the first 3 s after the start, after them, and the max per quarter second.</summary>
public sealed record FixedRateLatency(long Messages, double P50, double P99, double P999, double Max, double WarmupP99, double WarmP99, double WarmMax, double[] QuarterSecondMax);
