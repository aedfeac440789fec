using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Relay.Sinks.RabbitMq;

/// <summary>
/// What the RabbitMQ sink and its position store share: a connection without automatic recovery, a channel with
/// publisher confirms, the source's lock and its position queue.
/// </summary>
/// <remarks>
/// The lock is an exclusive queue, "&lt;prefix&gt;lock.&lt;source&gt;": the broker lets one connection declare it and deletes it when
/// that connection closes (at once for a killed process, after the heartbeat timeout for one cut off by the network).
/// The position is written only on the connection that holds the lock, and a connection is never recovered, so a
/// relay that lost its lock can write nothing: that is the fencing. The position queue, "&lt;prefix&gt;position.&lt;source&gt;", is
/// durable and keeps the last message (x-max-length 1, drop-head); each position message carries a sequence number
/// one above the last, and a reader takes the highest it finds, so a message put back by a reader's channel never
/// shadows a newer one.
/// </remarks>
internal sealed class RabbitMqClient : IAsyncDisposable
{
    public const string SequenceHeader = "relay-sequence";
    private const ushort ResourceLocked = 405;

    private static readonly Dictionary<string, object?> PositionQueueArguments = new()
    {
        ["x-max-length"] = 1,
        ["x-overflow"] = "drop-head",
    };

    private readonly RabbitMqSinkOptions _options;
    private readonly IConnection _connection;
    private long _sequence;

    private RabbitMqClient(RabbitMqSinkOptions options, IConnection connection, IChannel channel)
    {
        _options = options;
        _connection = connection;
        Channel = channel;
    }

    /// <summary>A channel in confirm mode: each publish returns when the broker confirmed it (or throws).</summary>
    public IChannel Channel { get; }

    public static async Task<RabbitMqClient> ConnectAsync(RabbitMqSinkOptions options, string clientName, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(options.Uri!),
            ClientProvidedName = clientName,
            // A recovered connection would publish without the lock: the pipeline starts over instead.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedHeartbeat = options.Heartbeat,
        };
        var connection = await factory.CreateConnectionAsync(cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            return new RabbitMqClient(options, connection, channel);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public string LockQueue(string sourceName) => _options.QueuePrefix + "lock." + sourceName;

    public string PositionQueue(string sourceName) => _options.QueuePrefix + "position." + sourceName;

    /// <summary>Declares the source's exclusive lock queue; false when another connection holds it.</summary>
    public async Task<bool> TryLockAsync(string sourceName, CancellationToken cancellationToken)
    {
        // A refused declare closes its channel: it gets one of its own.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.QueueDeclareAsync(LockQueue(sourceName), durable: false, exclusive: true, autoDelete: false, cancellationToken: cancellationToken);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == ResourceLocked)
        {
            return false;
        }
    }

    /// <summary>The last position written (null for none), read without taking it away; remembers its sequence number.</summary>
    public async Task<SourcePosition?> ReadPositionAsync(string sourceName, CancellationToken cancellationToken)
    {
        var queue = PositionQueue(sourceName);
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, PositionQueueArguments, cancellationToken: cancellationToken);
        // Messages got without an ack go back to the queue when this channel closes.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        SourcePosition? position = null;
        long best = -1;
        try
        {
            while (await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } result)
            {
                var sequence = result.BasicProperties.Headers?.TryGetValue(SequenceHeader, out var value) == true ? Convert.ToInt64(value) : 0;
                if (sequence > best)
                {
                    best = sequence;
                    position = result.Body.Length == 0 ? null : new SourcePosition(Encoding.UTF8.GetString(result.Body.Span));
                }
            }
        }
        finally
        {
            await channel.CloseAsync(cancellationToken);
        }
        _sequence = Math.Max(best, 0);
        return position;
    }

    /// <summary>Writes the position (empty for none) as the queue's one message, persistent, and waits for the broker's confirm.</summary>
    public async Task WritePositionAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            Headers = new Dictionary<string, object?> { [SequenceHeader] = _sequence + 1 },
        };
        var body = position is { } p ? Encoding.UTF8.GetBytes(p.Value) : [];
        await Channel.BasicPublishAsync("", PositionQueue(sourceName), mandatory: true, properties, body, cancellationToken);
        _sequence++;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Channel.DisposeAsync();
            await _connection.CloseAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException)
        {
            // Already gone: nothing to close.
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
