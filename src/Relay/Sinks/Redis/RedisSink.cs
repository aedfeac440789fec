using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Relay.Sinks.Redis;

/// <summary>
/// Publishes to Redis Streams (one stream per topic) and commits each batch's entries together with
/// the source position in one MULTI/EXEC. Fencing: every sink that takes over a source increments
/// the source's epoch, and each EXEC is conditional (WATCH) on the epoch still being its own, so a
/// zombie relay's transaction is discarded whole.
/// </summary>
/// <remarks>
/// Entry fields: "key" and "value" (left out when null), and one "h.&lt;name&gt;" field per header.
/// Needs a single Redis (or every key in one cluster slot): MULTI/EXEC cannot span cluster slots.
/// </remarks>
public sealed class RedisSink(RedisSinkOptions options, ILogger<RedisSink> logger) : IOutboxSink
{
    public const string KeyField = "key";
    public const string ValueField = "value";
    public const string HeaderFieldPrefix = "h.";

    private ConnectionMultiplexer? _redis;
    private string _sourceName = "";
    private RedisKey _epochKey;
    private RedisKey _offsetsKey;
    private long _epoch;
    private readonly HashSet<string> _checkedStreams = new(StringComparer.Ordinal);

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        _sourceName = sourceName;
        _offsetsKey = options.KeyPrefix + "offsets";
        _epochKey = options.KeyPrefix + "epoch:" + sourceName;
        var config = ConfigurationOptions.Parse(options.Configuration!);
        config.AbortOnConnectFail = false;
        config.ClientName = "relay";
        _redis = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken);
        var db = _redis.GetDatabase();
        _epoch = await db.StringIncrementAsync(_epochKey).WaitAsync(cancellationToken);
        var committed = await db.HashGetAsync(_offsetsKey, sourceName).WaitAsync(cancellationToken);
        logger.LogInformation("Source {Source}: Redis sink took over at epoch {Epoch}", sourceName, _epoch);
        return committed.IsNull ? null : new SourcePosition(committed!);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        if (_redis is null) throw new InvalidOperationException("InitializeAsync must run before PublishAsync.");
        await CheckStreamsAsync(messages, cancellationToken);
        var transaction = _redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(_epochKey, _epoch));
        var pending = new List<Task>(messages.Count + 1);
        foreach (var message in messages)
        {
            pending.Add(transaction.StreamAddAsync(
                message.Topic, Fields(message), maxLength: options.MaxStreamLength, useApproximateMaxLength: true));
        }
        pending.Add(transaction.HashSetAsync(_offsetsKey, _sourceName, position.Value));

        // EXEC is not cancellable once sent: it either applies everything or nothing.
        if (!await transaction.ExecuteAsync())
        {
            throw new SinkFencedException(
                $"the epoch of source '{_sourceName}' in Redis is no longer {_epoch}: another relay took over; this batch was discarded");
        }
        await Task.WhenAll(pending);
    }

    /// <summary>
    /// Redis does not roll back a transaction whose XADD fails at run time (a key of another type), so the
    /// offset would advance past a lost message: check each topic's key once before writing to it.
    /// </summary>
    private async Task CheckStreamsAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        var db = _redis!.GetDatabase();
        foreach (var message in messages)
        {
            if (!_checkedStreams.Add(message.Topic)) continue;
            var type = await db.KeyTypeAsync(message.Topic).WaitAsync(cancellationToken);
            if (type is not (RedisType.Stream or RedisType.None))
            {
                _checkedStreams.Remove(message.Topic);
                throw new RelayFatalException(
                    $"Redis key '{message.Topic}' holds a {type}, not a stream, so messages for that topic cannot be written. " +
                    "Rename or delete that key, or change Outbox:TopicTemplate so topics do not collide with it.");
            }
        }
    }

    private static NameValueEntry[] Fields(OutboxMessage message)
    {
        var count = message.Headers.Count + (message.Key is null ? 0 : 1) + (message.Value is null ? 0 : 1);
        var fields = new NameValueEntry[Math.Max(count, 1)];
        var i = 0;
        if (message.Key is not null) fields[i++] = new NameValueEntry(KeyField, message.Key);
        if (message.Value is not null) fields[i++] = new NameValueEntry(ValueField, message.Value);
        foreach (var (name, value) in message.Headers) fields[i++] = new NameValueEntry(HeaderFieldPrefix + name, value);
        if (i == 0) fields[i] = new NameValueEntry(ValueField, RedisValue.EmptyString); // XADD needs a field
        return fields;
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
        _redis = null;
    }
}
