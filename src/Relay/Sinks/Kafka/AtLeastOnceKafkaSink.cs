using Microsoft.Extensions.Logging;

namespace Relay.Sinks.Kafka;

/// <summary>
/// For brokers without transactions: an idempotent producer writes the batch, every delivery is
/// confirmed, and only then is the position written. A crash in between republishes the batch, so
/// consumers de-duplicate by the "id" header. Nothing is fenced: the source's lease keeps a second relay out.
/// </summary>
internal sealed class AtLeastOnceKafkaSink(KafkaSinkOptions options, ILogger logger) : IOutboxSink
{
    // librdkafka gives up on a message after message.timeout.ms (5 minutes by default).
    private static readonly TimeSpan MaxDeliveryWait = TimeSpan.FromMinutes(6);

    private KafkaSinkClient? _client;

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        if (_client is not null) throw new InvalidOperationException("The sink is already initialized.");
        logger.LogInformation(
            "Source {Source}: Kafka sink (at-least-once) to {BootstrapServers}, offsets topic {OffsetsTopic}, client settings: {Settings}",
            sourceName, options.BootstrapServers, options.OffsetsTopic, new KafkaSecrets(options.Config).Describe(options.Config));

        _client = new KafkaSinkClient(options, sourceName, logger);
        await _client.PrepareShardedTopicsAsync(cancellationToken);
        return await _client.ReadPositionAsync(options.TransactionTimeout, cancellationToken);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Call InitializeAsync first.");

        var batch = new DeliveryTracker(messages.Count);
        await client.ProduceAsync(messages, batch, cancellationToken);
        await batch.WaitAsync(MaxDeliveryWait, cancellationToken);

        // The position goes out only after every message is acknowledged, so it never runs ahead of them.
        var marker = new DeliveryTracker(1);
        await client.ProducePositionAsync(position, marker, cancellationToken);
        await marker.WaitAsync(MaxDeliveryWait, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is null) return;
        var client = _client;
        _client = null;
        await Task.Run(client.Dispose);
    }
}
