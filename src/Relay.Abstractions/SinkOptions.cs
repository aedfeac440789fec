namespace Relay;

/// <summary>The keys every sink has (section Relay:Sinks:&lt;name&gt;); each sink kind's options class derives from it.</summary>
public class SinkOptions
{
    /// <summary>The sink kind, e.g. Kafka (each registered kind adds its name).</summary>
    public string? Kind { get; set; }

    /// <summary>
    /// The guarantee asked for; null means the strongest the kind gives. Asking for ExactlyOnce from a kind that
    /// cannot give it stops the relay at start.
    /// </summary>
    public DeliveryGuarantee? Delivery { get; set; }

    /// <summary>
    /// Sharded channels: topic → number of shards. A message of such a topic goes to shard
    /// murmur2(key) mod N (as Kafka's Java client picks a partition), whichever broker the sink is.
    /// </summary>
    public Dictionary<string, int> Shards { get; set; } = new(StringComparer.Ordinal);
}
