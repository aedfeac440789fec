using Relay.Bench.Limits;

namespace Relay.Bench.Reporting;

/// <summary>A limit measured for one workload (a WAL, a binlog, a sink).</summary>
public sealed record LimitResult(string Workload, LimitRun Run);
