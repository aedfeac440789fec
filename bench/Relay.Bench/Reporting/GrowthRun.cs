namespace Relay.Bench.Reporting;

/// <summary>Throughput and footprint as one parameter grows (payload size, MaxBatchRows, sources per process).</summary>
public sealed record GrowthRun(string Dimension, string Value, DrainRun Drain);
