using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Relay.Sinks.RabbitMq;

namespace Relay.Tests.Crash;

/// <summary>
/// Consumes the queues (auto-ack, one consumer per queue, so each queue's messages arrive in queue order) as soon as
/// the relay has declared them, and keeps what it got. Counts distinct event ids, since an at-least-once sink may
/// deliver some twice. Deletes the queues, the extra ones named and the exchange at the end.
/// </summary>
public sealed class RabbitMqQueueReader(string uri, IReadOnlyList<string> queues, IReadOnlyList<string> alsoDelete, string exchange) : ISinkReader
{
    private readonly Dictionary<string, List<DeliveredMessage>> _received = queues.ToDictionary(q => q, _ => new List<DeliveredMessage>());
    private readonly HashSet<string> _consuming = new(StringComparer.Ordinal);
    private IConnection? _connection;
    private IChannel? _channel;

    private async Task ConsumeNewQueuesAsync()
    {
        _connection ??= await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        _channel ??= await _connection.CreateChannelAsync();
        foreach (var queue in queues.Where(q => !_consuming.Contains(q)))
        {
            await using (var probe = await _connection.CreateChannelAsync())
            {
                try { await probe.QueueDeclarePassiveAsync(queue); }
                catch (OperationInterruptedException) { continue; } // not declared yet
            }
            var list = _received[queue];
            var consumer = new AsyncEventingBasicConsumer(_channel);
            consumer.ReceivedAsync += (_, m) =>
            {
                var headers = m.BasicProperties.Headers!;
                var message = DeliveredMessage.Parse(queue, m.BasicProperties.MessageId!, Encoding.UTF8.GetString((byte[])headers[RabbitMqSink.KeyHeader]!),
                    Encoding.UTF8.GetString(m.Body.Span));
                lock (list) list.Add(message);
                return Task.CompletedTask;
            };
            await _channel.BasicConsumeAsync(queue, autoAck: true, consumer);
            _consuming.Add(queue);
        }
    }

    private List<DeliveredMessage> Snapshot()
    {
        var all = new List<DeliveredMessage>();
        foreach (var queue in queues)
        {
            var list = _received[queue];
            lock (list) all.AddRange(list);
        }
        return all;
    }

    public async Task<long> CountAsync()
    {
        await ConsumeNewQueuesAsync();
        return Snapshot().Select(m => m.EventId).Distinct().LongCount();
    }

    /// <summary>Everything received once the queues are empty (waits for the consumers to catch up).</summary>
    public async Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync()
    {
        await ConsumeNewQueuesAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            long ready = 0;
            foreach (var queue in _consuming) ready += await _channel!.MessageCountAsync(queue);
            if (ready == 0) break;
            await Task.Delay(100);
        }
        // Deliveries already on the wire: done when the count stops moving.
        var count = -1;
        while (Snapshot().Count is var now && now != count && DateTime.UtcNow < deadline.AddSeconds(30))
        {
            count = now;
            await Task.Delay(500);
        }
        return Snapshot();
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is null) _connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using (var channel = await _connection.CreateChannelAsync())
        {
            foreach (var queue in queues.Concat(alsoDelete)) await channel.QueueDeleteAsync(queue);
            await channel.ExchangeDeleteAsync(exchange);
        }
        if (_channel is not null) await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
