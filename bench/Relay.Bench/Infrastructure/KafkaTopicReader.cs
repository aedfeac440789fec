using Confluent.Kafka;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// Reads a Kafka topic with a read_committed consumer (every partition assigned), as a downstream service would: from
/// the end it has when the reader starts (a topic may hold an earlier drain's messages), or from its beginning.
/// </summary>
public sealed class KafkaTopicReader : TopicReader
{
    private readonly IConsumer<byte[], byte[]> _consumer;

    public KafkaTopicReader(KafkaBroker kafka, string topic, Action<ReadOnlyMemory<byte>, long>? onMessage, bool fromBeginning = false) : base(onMessage)
    {
        var partitions = kafka.EnsureTopic(topic);
        _consumer = kafka.Consumer(topic, partitions, fromBeginning);
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
