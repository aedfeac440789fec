using System.Text;
using RabbitMQ.Client;
using Relay.Sinks.RabbitMq;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.RabbitMq;

/// <summary>One message as a RabbitMQ consumer reads it.</summary>
public sealed record RabbitMqRecord(string Queue, string RoutingKey, string? MessageId, string? Id, string? Key, string? Type, bool Persistent, string Value);

/// <summary>
/// A test's own exchange and queue prefix ("t&lt;guid&gt;") on the test RabbitMQ, with a reader of queues; disposing deletes
/// the exchange and every queue the test named.
/// </summary>
public sealed class RabbitMqTestKit : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly HashSet<string> _queues = new(StringComparer.Ordinal);

    private RabbitMqTestKit(string uri, string name, IConnection connection)
    {
        Uri = uri;
        Name = name;
        _connection = connection;
        Options = new RabbitMqSinkOptions { Uri = uri, Exchange = name, QueuePrefix = name + "." };
    }

    public string Uri { get; }

    /// <summary>The exchange's name, the queue prefix and the first part of every topic of the test.</summary>
    public string Name { get; }

    public RabbitMqSinkOptions Options { get; }

    public static async Task<RabbitMqTestKit> CreateAsync()
    {
        var uri = await TestServers.RabbitMqAsync();
        var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        return new RabbitMqTestKit(uri, "t" + Guid.NewGuid().ToString("N")[..12], connection);
    }

    /// <summary>Remembers queues to delete at the end (the sink declares them; the test knows their names).</summary>
    public void Track(params string[] queues) => _queues.UnionWith(queues);

    /// <summary>Messages ready in the queues now (0 for a queue not declared yet).</summary>
    public async Task<long> CountAsync(IEnumerable<string> queues)
    {
        long total = 0;
        foreach (var queue in queues)
        {
            await using var channel = await _connection.CreateChannelAsync();
            try { total += (await channel.QueueDeclarePassiveAsync(queue)).MessageCount; }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { }
        }
        return total;
    }

    /// <summary>Takes every message of each queue (acknowledged), in queue order.</summary>
    public async Task<IReadOnlyList<RabbitMqRecord>> DrainAsync(IEnumerable<string> queues)
    {
        var all = new List<RabbitMqRecord>();
        await using var channel = await _connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            Track(queue);
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } m)
            {
                var headers = m.BasicProperties.Headers;
                string? Header(string name) => headers?.TryGetValue(name, out var v) == true && v is byte[] b ? Encoding.UTF8.GetString(b) : null;
                all.Add(new RabbitMqRecord(queue, m.RoutingKey, m.BasicProperties.MessageId, Header("id"), Header(RabbitMqSink.KeyHeader), Header("type"),
                    m.BasicProperties.Persistent, Encoding.UTF8.GetString(m.Body.Span)));
            }
        }
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var channel = await _connection.CreateChannelAsync())
        {
            foreach (var queue in _queues.Append(Options.QueuePrefix + "position.src")) await channel.QueueDeleteAsync(queue);
            await channel.ExchangeDeleteAsync(Name);
        }
        await _connection.DisposeAsync();
    }
}
