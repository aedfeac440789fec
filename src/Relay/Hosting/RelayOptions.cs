namespace Relay.Hosting;

/// <summary>The "Relay" configuration section: sources (one per database or outbox) and the sinks they publish to.</summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    public Dictionary<string, SourceOptions> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, SinkOptions> Sinks { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>What every source has; its kind's own keys sit beside these in the same section.</summary>
public sealed class SourceOptions
{
    /// <summary>PostgresReplication or PostgresPolling (each registered kind adds its name).</summary>
    public string? Kind { get; set; }
    /// <summary>The name of the sink (under Relay:Sinks) this source publishes to.</summary>
    public string? Sink { get; set; }
    public OutboxTableOptions Outbox { get; set; } = new();
    /// <summary>The most rows one sink transaction carries.</summary>
    public int MaxBatchRows { get; set; } = 1000;
    /// <summary>Set false to keep a configured source without running it.</summary>
    public bool Enabled { get; set; } = true;
}

public sealed class SinkOptions
{
    /// <summary>Kafka or Redis (each registered kind adds its name).</summary>
    public string? Kind { get; set; }
}
