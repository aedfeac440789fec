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
    /// <summary>Work per message that the machine's load does not inflate: allocated bytes, thread-pool work items, context switches, GCs (from the runtime's metrics and /proc).</summary>
    public IReadOnlyDictionary<string, double> WorkPerMessage { get; init; } = new Dictionary<string, double>();

    public double AchievedRate => Messages / Seconds;

    public double RelayMicrosPerMessage => Messages > 0 ? RelayCpuSeconds * 1e6 / Messages : double.NaN;

    /// <summary>CPU per committed batch: the fixed cost per batch, once batches are one transaction each.</summary>
    public double RelayMicrosPerBatch => RelayMicrosPerMessage * MeanBatch;

    public double LimitMicrosPerMessage => LimitName is not null && Messages > 0 ? LimitCpuSeconds * 1e6 / Messages : double.NaN;

    /// <summary>Relay's CPU per message over the limit's, both measured over the same rows in the same run.</summary>
    public double CpuRatio => RelayMicrosPerMessage / LimitMicrosPerMessage;
}

/// <summary>Insert → visible latency of one run (ms): overall, the first 3 s after the start, after them, and the max per quarter second.</summary>
public sealed record FixedRateLatency(long Messages, double P50, double P99, double P999, double Max, double WarmupP99, double WarmP99, double WarmMax, double[] QuarterSecondMax);
