namespace Relay;

/// <summary>
/// The keys every source has (section Relay:Sources:&lt;name&gt;). Each source kind's options class derives
/// from it and adds its own keys, so one class describes every key a source of that kind accepts.
/// </summary>
public class SourceOptions
{
    /// <summary>The source kind, e.g. PostgresReplication (each registered kind adds its name).</summary>
    public string? Kind { get; set; }
    /// <summary>The name of the sink (under Relay:Sinks) this source publishes to; optional when there is one sink.</summary>
    public string? Sink { get; set; }
    /// <summary>Set false to keep a configured source without running it.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>The most rows one sink transaction carries.</summary>
    public int MaxBatchRows { get; set; } = 1000;
    public OutboxTableOptions Outbox { get; set; } = new();
}
