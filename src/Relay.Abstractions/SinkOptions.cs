namespace Relay;

/// <summary>The keys every sink has (section Relay:Sinks:&lt;name&gt;); each sink kind's options class derives from it.</summary>
public class SinkOptions
{
    /// <summary>The sink kind, e.g. Kafka (each registered kind adds its name).</summary>
    public string? Kind { get; set; }
}
