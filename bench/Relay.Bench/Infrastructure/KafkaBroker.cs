using Confluent.Kafka;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// The Kafka the relay publishes to: a real cluster when RELAY_BENCH_KAFKA_BOOTSTRAP names one, else librdkafka's
/// mock cluster, which lives in this process as long as its holder client and listens on loopback sockets that the
/// relay process connects to.
/// </summary>
public sealed class KafkaBroker : IDisposable
{
    private readonly IAdminClient? _holder;

    private KafkaBroker(string bootstrapServers, IAdminClient? holder)
    {
        BootstrapServers = bootstrapServers;
        _holder = holder;
    }

    public string BootstrapServers { get; }

    public bool IsMock => _holder is not null;

    public static KafkaBroker Start(string? bootstrapServers)
    {
        if (bootstrapServers is not null) return new KafkaBroker(bootstrapServers, null);
        var config = new AdminClientConfig { BootstrapServers = "localhost:1" }; // ignored by the mock
        config.Set("test.mock.num.brokers", "3");
        var holder = new AdminClientBuilder(config).Build();
        var metadata = holder.GetMetadata(TimeSpan.FromSeconds(10));
        return new KafkaBroker(string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}")), holder);
    }

    /// <summary>Creates the topic by asking for its metadata (auto-creation) and returns its partition count.</summary>
    public int EnsureTopic(string topic)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = BootstrapServers, AllowAutoCreateTopics = true }).Build();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var info = new DependentAdminClientBuilder(producer.Handle).Build().GetMetadata(topic, TimeSpan.FromSeconds(5));
            var found = info.Topics.FirstOrDefault(t => t.Topic == topic);
            if (found is { Error.IsError: false, Partitions.Count: > 0 }) return found.Partitions.Count;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"Kafka topic {topic} was not created.");
    }

    /// <summary>A read_committed consumer of every partition, from each one's beginning or its current end.</summary>
    public IConsumer<byte[], byte[]> Consumer(string topic, int partitions, bool fromBeginning)
    {
        var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "relay-bench",
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            FetchWaitMaxMs = 5,
            EnablePartitionEof = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p,
            fromBeginning ? Offset.Beginning : consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High)));
        return consumer;
    }

    public void Dispose() => _holder?.Dispose();
}
