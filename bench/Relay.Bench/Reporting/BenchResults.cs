namespace Relay.Bench.Reporting;

/// <summary>Everything one run measured, in the order it was measured.</summary>
public sealed class BenchResults
{
    private readonly Lock _gate = new();

    public List<DrainRun> Drains { get; } = new();
    public List<LimitResult> Limits { get; } = new();
    public List<LatencyRun> Latencies { get; } = new();
    public List<GrowthRun> Growth { get; } = new();
    public List<DrainRun> Footprints { get; } = new();
    public List<FixedRateRun> FixedRates { get; } = new();
    public List<string> Notes { get; } = new();
    public List<string> Failures { get; } = new();

    public void Add(DrainRun run) { lock (_gate) Drains.Add(run); }
    public void Add(LimitResult limit) { lock (_gate) Limits.Add(limit); }
    public void Add(LatencyRun run) { lock (_gate) Latencies.Add(run); }
    public void Add(GrowthRun run) { lock (_gate) Growth.Add(run); }
    public void AddFootprint(DrainRun run) { lock (_gate) Footprints.Add(run); }
    public void Add(FixedRateRun run) { lock (_gate) FixedRates.Add(run); }
    public void Note(string note) { lock (_gate) Notes.Add(note); }
    public void Fail(string failure) { lock (_gate) Failures.Add(failure); }

    public double? Limit(string workload, string nameStart) =>
        Limits.FirstOrDefault(l => l.Workload == workload && l.Run.Name.StartsWith(nameStart, StringComparison.Ordinal))?.Run.MessagesPerSecond;
}
