using Confluent.Kafka;

namespace Relay.Sinks.Kafka;

/// <summary>
/// Builds the librdkafka configurations of one sink's clients: the user's Config pass-through first,
/// then the settings Relay's guarantees depend on, which always win (validation rejects conflicts).
/// </summary>
internal static class KafkaClientSettings
{
    // Producer-only properties: a consumer warns about each one, so they stay off its configuration.
    private static readonly string[] ProducerOnlyPrefixes =
    [
        "acks", "request.required.acks", "linger.ms", "queue.buffering.", "batch.", "compression.", "message.timeout.ms",
        "delivery.timeout.ms", "message.send.max.retries", "retries", "retry.backoff", "partitioner", "sticky.",
        "enable.idempotence", "enable.gapless.guarantee", "transaction", "request.timeout.ms", "queuing.strategy",
    ];

    public static ProducerConfig Producer(KafkaSinkOptions options, string sourceName)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(options.Config))
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"relay-{sourceName}",
            EnableIdempotence = true,
            Acks = Acks.All,
            // The Java client's key hashing; see KafkaPartitioner.
            Partitioner = Partitioner.Murmur2Random,
            EnableDeliveryReports = true,
        };
        // Batches are handed over whole, so a short linger fills produce requests without adding much latency. A
        // transaction waits for all its messages before it commits, so there a linger only delays them: nothing is sent
        // later than the batch's last message, and librdkafka still packs what queues while a request is in flight.
        if (!options.Config.ContainsKey("linger.ms") && !options.Config.ContainsKey("queue.buffering.max.ms"))
            config.LingerMs = options.IsExactlyOnce ? 0 : 5;
        // A delivery report is only counted and checked for an error: copying each message's key, value and headers
        // back into managed memory for it would cost as much as producing it.
        if (!options.Config.ContainsKey("dotnet.producer.delivery.report.fields")) config.DeliveryReportFields = "none";
        if (options.IsExactlyOnce)
        {
            config.TransactionalId = options.TransactionalIdFor(sourceName);
            config.TransactionTimeoutMs = (int)options.TransactionTimeout.TotalMilliseconds;
        }
        return config;
    }

    /// <summary>A consumer for reading the offsets topic by assignment only: it never joins or commits to its group.</summary>
    public static ConsumerConfig PositionReader(KafkaSinkOptions options, string sourceName)
    {
        var passThrough = options.Config
            .Where(p => !ProducerOnlyPrefixes.Any(prefix => p.Key.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(p => p.Key, p => p.Value);
        return new ConsumerConfig(passThrough)
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"relay-{sourceName}-position",
            // Confluent.Kafka insists on a group id; assignment without commits never uses it.
            GroupId = $"relay-position-reader-{sourceName}",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            AllowAutoCreateTopics = false,
            IsolationLevel = options.IsExactlyOnce ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted,
        };
    }
}
