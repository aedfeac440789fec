using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Relay.Routing;

namespace Relay.Sinks.RabbitMq;

/// <summary>
/// Publishes to RabbitMQ at least once: every message persistent, mandatory, with message-id = its event id and the
/// headers as AMQP headers, to a topic exchange with the routing key "&lt;topic&gt;" ("&lt;topic&gt;.&lt;shard&gt;" for a sharded
/// topic); when the broker confirmed them all, the source position is written to the source's position queue. A crash
/// between the two publishes the batch in flight again, and no more. Only the holder of the source's lock queue writes
/// positions (see <see cref="RabbitMqClient"/>), so an older relay cannot overwrite a newer one's.
/// </summary>
/// <remarks>
/// Up to MaxInFlight publishes await their confirms at once. The client numbers and sends publishes in the order they
/// are started (one lock covers both), so the broker receives them in batch order; a failed one fails the batch,
/// which is then published again whole.
/// </remarks>
public sealed class RabbitMqSink(RabbitMqSinkOptions options, ILogger logger) : IOutboxSink
{
    public const string KeyHeader = "relay.key";

    private readonly ShardMap _shards = new(options.Shards);
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private RabbitMqClient? _client;
    private string _sourceName = "";

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        if (_client is not null) throw new InvalidOperationException("The sink is already initialized.");
        _sourceName = sourceName;
        _client = await RabbitMqClient.ConnectAsync(options, "relay-" + sourceName, cancellationToken);
        if (!await _client.TryLockAsync(sourceName, cancellationToken))
            throw new SinkFencedException(
                $"another relay holds the lock queue '{_client.LockQueue(sourceName)}' of source '{sourceName}' (the broker frees it when that relay's connection closes)");
        if (options.DeclareQueues)
            await _client.Channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        var position = await _client.ReadPositionAsync(sourceName, cancellationToken);
        logger.LogInformation("Source {Source}: RabbitMQ sink (at least once) holds lock queue {Lock}, exchange {Exchange}", sourceName, _client.LockQueue(sourceName), options.Exchange);
        return position;
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Call InitializeAsync first.");
        var keys = new string[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            keys[i] = _shards.ChannelOf(messages[i]);
            if (options.DeclareQueues && _declared.Add(keys[i])) await DeclareQueueAsync(client.Channel, keys[i], cancellationToken);
        }

        var pending = new List<Task>(Math.Min(messages.Count, options.MaxInFlight));
        for (var start = 0; start < messages.Count; start += options.MaxInFlight)
        {
            pending.Clear();
            for (var i = start; i < Math.Min(messages.Count, start + options.MaxInFlight); i++)
                pending.Add(client.Channel.BasicPublishAsync(options.Exchange, keys[i], mandatory: true, Properties(messages[i]), messages[i].Value ?? [], cancellationToken).AsTask());
            try
            {
                await Task.WhenAll(pending);
            }
            catch (PublishException e) when (e.IsReturn)
            {
                var returned = pending.FindIndex(t => t.Exception?.InnerException is PublishException { IsReturn: true });
                throw new InvalidOperationException(
                    $"RabbitMQ returned a message with routing key '{(returned >= 0 ? keys[start + returned] : "?")}': no queue is bound to it on exchange '{options.Exchange}'. " +
                    "Bind a queue for it (or for the topic with a wildcard), or set DeclareQueues to true; the batch is published again when the pipeline restarts.", e);
            }
        }
        await client.WritePositionAsync(_sourceName, position, cancellationToken);
    }

    private async Task DeclareQueueAsync(IChannel channel, string routingKey, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(routingKey, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(routingKey, options.Exchange, routingKey, cancellationToken: cancellationToken);
        logger.LogDebug("Source {Source}: declared queue {Queue} bound to {Exchange}", _sourceName, routingKey, options.Exchange);
    }

    private static BasicProperties Properties(OutboxMessage message)
    {
        var headers = new Dictionary<string, object?>(message.Headers.Count + 1, StringComparer.Ordinal);
        if (message.Key is not null) headers[KeyHeader] = message.Key;
        foreach (var (name, value) in message.Headers) headers[name] = value;
        return new BasicProperties { Persistent = true, MessageId = message.EventId, Headers = headers };
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _client = null;
    }
}
