using Confluent.Kafka;

namespace Relay.Bench.Infrastructure;

/// <summary>Reads a Kafka topic from the start with a read_committed consumer (every partition assigned), as a downstream service would.</summary>
public sealed class KafkaTopicReader : TopicReader
{
    private readonly IConsumer<byte[], byte[]> _consumer;

    public KafkaTopicReader(KafkaBroker kafka, string topic, Action<ReadOnlyMemory<byte>, long>? onMessage) : base(onMessage)
    {
        var partitions = kafka.EnsureTopic(topic);
        _consumer = kafka.Consumer(topic, partitions);
        Begin();
    }

    protected override void Poll(CancellationToken cancellationToken)
    {
        var result = _consumer.Consume(TimeSpan.FromMilliseconds(20));
        if (result?.Message is null) return;
        OnMessage?.Invoke(result.Message.Value, BenchClock.Now);
        Seen(1);
    }

    protected override void DisposeReader()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
