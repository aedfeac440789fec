using RabbitMQ.Client;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// Counts the messages waiting in a queue that nobody consumes (its message count, as XLEN does for Redis). Declares
/// the exchange and the queue bound to it exactly as the relay does with DeclareQueues, so the count starts at once.
/// </summary>
public sealed class RabbitMqQueueCounter : TopicReader
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _queue;

    private RabbitMqQueueCounter(IConnection connection, IChannel channel, string queue) : base(null)
    {
        _connection = connection;
        _channel = channel;
        _queue = queue;
        Begin();
    }

    public static RabbitMqQueueCounter Start(string uri, string exchange, string queue)
    {
        var connection = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "relay-bench-counter" }.CreateConnectionAsync().GetAwaiter().GetResult();
        var channel = connection.CreateChannelAsync().GetAwaiter().GetResult();
        channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false).GetAwaiter().GetResult();
        channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false).GetAwaiter().GetResult();
        channel.QueueBindAsync(queue, exchange, queue).GetAwaiter().GetResult();
        return new RabbitMqQueueCounter(connection, channel, queue);
    }

    protected override void Poll(CancellationToken cancellationToken)
    {
        SetCount(_channel.MessageCountAsync(_queue, cancellationToken).GetAwaiter().GetResult());
        Thread.Sleep(5);
    }

    protected override void DisposeReader()
    {
        _channel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
