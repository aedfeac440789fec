using System.Globalization;
using Microsoft.Extensions.Configuration;
using Relay.Sinks.Kafka;

namespace Relay.Routing;

/// <summary>
/// Sharded channels (a sink's Shards key: topic → N). A message of a sharded topic goes to shard
/// murmur2(key) mod N, computed exactly as Kafka's Java client picks a partition, so a key lands on the same
/// shard number whichever broker the sink is: Kafka partition N, Redis stream and NATS subject
/// "&lt;topic&gt;.&lt;shard&gt;", RabbitMQ routing key "&lt;topic&gt;.&lt;shard&gt;". A message without a key goes to shard 0.
/// </summary>
public sealed class ShardMap
{
    /// <summary>The most shards a topic may have (Kafka's own limits are far higher; more would be a typo).</summary>
    public const int MaxShards = 10_000;

    private readonly Dictionary<string, string[]> _channels = new(StringComparer.Ordinal);

    public ShardMap(IReadOnlyDictionary<string, int> shards)
    {
        foreach (var (topic, count) in shards)
            _channels[topic] = Enumerable.Range(0, count).Select(s => topic + "." + s.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>True when some topic is sharded.</summary>
    public bool Any => _channels.Count > 0;

    /// <summary>The sharded topics and their shard counts.</summary>
    public IEnumerable<KeyValuePair<string, int>> Topics => _channels.Select(c => KeyValuePair.Create(c.Key, c.Value.Length));

    /// <summary>The shard of a key among <paramref name="shards"/>: Kafka's toPositive(murmur2(key)) % shards; 0 for no key.</summary>
    public static int ShardOf(ReadOnlySpan<byte> key, bool hasKey, int shards) =>
        hasKey ? KafkaPartitioner.PartitionFor(key, shards) : 0;

    /// <summary>The message's shard, or -1 when its topic is not sharded.</summary>
    public int ShardOf(OutboxMessage message) =>
        _channels.TryGetValue(message.Topic, out var channels) ? ShardOf(message.Key, message.Key is not null, channels.Length) : -1;

    /// <summary>Where the message goes on a broker without partitions: "&lt;topic&gt;.&lt;shard&gt;" for a sharded topic, else the topic.</summary>
    public string ChannelOf(OutboxMessage message) =>
        _channels.TryGetValue(message.Topic, out var channels) ? channels[ShardOf(message.Key, message.Key is not null, channels.Length)] : message.Topic;

    /// <summary>Checks the Shards key of a sink; each problem names the key and the fix.</summary>
    public static IEnumerable<string> Validate(IConfigurationSection sink, IReadOnlyDictionary<string, int> shards)
    {
        foreach (var (topic, count) in shards)
        {
            var key = ConfigKeys.Describe(ConfigurationPath.Combine(sink.Path, "Shards", topic));
            if (!TopicTemplate.IsValidTopic(topic))
                yield return $"{key} names '{topic}', which is not a valid topic name. Use letters, digits, '.', '_' and '-'.";
            if (count is < 1 or > MaxShards)
                yield return $"{key} is {count}. Set it between 1 and {MaxShards}.";
        }
    }
}
