using Microsoft.Extensions.Logging;
using Relay.Routing;
using StackExchange.Redis;

namespace Relay.Sinks.Redis;

/// <summary>
/// Publishes to Redis Streams (one stream per topic) and commits each batch's entries together with
/// the source position in one server-side Lua script, which Redis runs atomically: it checks the
/// fencing epoch and the type of every stream key first, and only when all is well appends the
/// entries and writes the position. Fencing: every sink that takes over a source increments the
/// source's epoch, so a zombie relay's script finds a newer epoch and writes nothing.
/// </summary>
/// <remarks>
/// Why a script and not MULTI/EXEC: Redis does not roll a transaction back when a command in it fails
/// at run time (an XADD on a key that holds another type), so the position would commit past a lost
/// message. The script checks before its first write, so no write of a batch can fail half-way.
/// Entry fields: "key" and "value" (left out when null), and one "h.&lt;name&gt;" field per header. A sharded topic
/// (the Shards key) is one stream per shard, "&lt;topic&gt;.&lt;shard&gt;" (see <see cref="ShardMap"/>).
/// Needs a single Redis (or every key in one cluster slot): a script cannot span cluster slots.
/// </remarks>
public sealed class RedisSink(RedisSinkOptions options, ILogger<RedisSink> logger) : IOutboxSink
{
    public const string KeyField = "key";
    public const string ValueField = "value";
    public const string HeaderFieldPrefix = "h.";

    private const string FencedError = "RELAYFENCED";
    private const string WrongTypeError = "RELAYWRONGTYPE";

    // KEYS: epoch, offsets hash, then each stream once. ARGV: epoch, source name, position, MAXLEN
    // ('' for none), then per message: the index of its stream in KEYS, the field count, the fields.
    private const string PublishScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return redis.error_reply('RELAYFENCED the epoch is no longer ' .. ARGV[1])
        end
        for k = 3, #KEYS do
          local t = redis.call('TYPE', KEYS[k])['ok']
          if t ~= 'stream' and t ~= 'none' then
            return redis.error_reply('RELAYWRONGTYPE ' .. t .. ' ' .. KEYS[k])
          end
        end
        local i = 5
        while i <= #ARGV do
          local key = KEYS[tonumber(ARGV[i])]
          local n = tonumber(ARGV[i + 1])
          if ARGV[4] == '' then
            redis.call('XADD', key, '*', unpack(ARGV, i + 2, i + 1 + n))
          else
            redis.call('XADD', key, 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 2, i + 1 + n))
          end
          i = i + 2 + n
        end
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
        return 1
        """;

    private readonly ShardMap _shards = new(options.Shards);
    private ConnectionMultiplexer? _redis;
    private string _sourceName = "";
    private RedisKey _epochKey;
    private RedisKey _offsetsKey;
    private long _epoch;

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        _sourceName = sourceName;
        _offsetsKey = OffsetsKey(options);
        _epochKey = EpochKey(options, sourceName);
        _redis = await ConnectAsync(options, cancellationToken);
        var db = _redis.GetDatabase();
        _epoch = await db.StringIncrementAsync(_epochKey).WaitAsync(cancellationToken);
        var committed = await db.HashGetAsync(_offsetsKey, sourceName).WaitAsync(cancellationToken);
        logger.LogInformation("Source {Source}: Redis sink took over at epoch {Epoch}", sourceName, _epoch);
        return committed.IsNull ? null : new SourcePosition(committed!);
    }

    internal static RedisKey OffsetsKey(RedisSinkOptions options) => options.KeyPrefix + "offsets";

    internal static RedisKey EpochKey(RedisSinkOptions options, string sourceName) => options.KeyPrefix + "epoch:" + sourceName;

    internal static async Task<ConnectionMultiplexer> ConnectAsync(RedisSinkOptions options, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(options.Configuration!);
        config.AbortOnConnectFail = false;
        config.ClientName = "relay";
        if (!string.IsNullOrEmpty(options.CaCertificate)) config.TrustIssuer(options.CaCertificate);
        if (!string.IsNullOrEmpty(options.ClientCertificate)) config.SetUserPemCertificate(options.ClientCertificate, options.ClientKey);
        return await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        if (_redis is null) throw new InvalidOperationException("InitializeAsync must run before PublishAsync.");
        // The script's arguments are counted first and written into one array of that size: a batch at a trickle is one
        // message, and its fixed cost is mostly such allocations.
        var argCount = 4;
        foreach (var message in messages) argCount += 2 + 2 * FieldPairs(message);
        var args = new RedisValue[argCount];
        args[0] = _epoch;
        args[1] = _sourceName;
        args[2] = position.Value;
        args[3] = options.MaxStreamLength is { } max ? max : RedisValue.EmptyString;
        var keys = new List<RedisKey>(3) { _epochKey, _offsetsKey };
        // Topics per batch are few: a list searched from its end finds the usual one (the last message's) at once.
        var topics = new List<string>(1);
        var at = 4;
        foreach (var message in messages)
        {
            var stream = _shards.ChannelOf(message);
            var index = topics.LastIndexOf(stream);
            if (index < 0)
            {
                topics.Add(stream);
                keys.Add(stream);
                index = topics.Count - 1;
            }
            at = AddFields(args, at, index + 3, message); // Lua arrays start at 1, after the epoch and offsets keys
        }

        // Once sent, the script runs to its end or writes nothing; it is not cut short by cancellation.
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(PublishScript, keys.ToArray(), args);
        }
        catch (RedisServerException e) when (e.Message.Contains(FencedError, StringComparison.Ordinal))
        {
            throw new SinkFencedException(
                $"the epoch of source '{_sourceName}' in Redis is no longer {_epoch}: another relay took over; this batch was discarded", e);
        }
        catch (RedisServerException e) when (e.Message.Contains(WrongTypeError, StringComparison.Ordinal))
        {
            var words = e.Message[(e.Message.IndexOf(WrongTypeError, StringComparison.Ordinal) + WrongTypeError.Length)..].Trim().Split(' ', 2);
            var (type, key) = words.Length == 2 ? (words[0], words[1]) : ("another type", e.Message);
            throw new RelayFatalException(
                $"Redis key '{key}' holds a {type}, not a stream, so messages for that topic cannot be written; nothing of this batch was written " +
                "and the committed position did not move. Rename or delete that key, or change Outbox:TopicTemplate so topics do not collide with it.");
        }
    }

    /// <summary>The entry's field-value pairs: "key" and "value" (when not null), one per header, and at least one (XADD needs a field).</summary>
    private static int FieldPairs(OutboxMessage message) =>
        Math.Max(1, message.Headers.Count + (message.Key is null ? 0 : 1) + (message.Value is null ? 0 : 1));

    /// <summary>
    /// Writes from <paramref name="at"/> the stream index, the field count, then the fields: "key" and "value" (when
    /// not null) and one "h.&lt;name&gt;" per header; returns where the next message starts.
    /// </summary>
    private int AddFields(RedisValue[] args, int at, int streamIndex, OutboxMessage message)
    {
        var pairs = FieldPairs(message);
        args[at++] = streamIndex;
        args[at++] = pairs * 2;
        if (message.Key is not null) { args[at++] = KeyFieldValue; args[at++] = message.Key; }
        if (message.Value is not null) { args[at++] = ValueFieldValue; args[at++] = message.Value; }
        for (var i = 0; i < message.Headers.Count; i++)
        {
            var (name, value) = message.Headers[i];
            args[at++] = HeaderField(name);
            args[at++] = value;
        }
        if (message.Headers.Count == 0 && message.Key is null && message.Value is null) { args[at++] = ValueFieldValue; args[at++] = RedisValue.EmptyString; }
        return at;
    }

    private static readonly RedisValue KeyFieldValue = KeyField;
    private static readonly RedisValue ValueFieldValue = ValueField;
    // Header names are few (id, type, traceparent, the mapped ones): their field names are built once.
    private readonly Dictionary<string, RedisValue> _headerFields = new(StringComparer.Ordinal);

    private RedisValue HeaderField(string name)
    {
        if (!_headerFields.TryGetValue(name, out var field))
        {
            field = HeaderFieldPrefix + name;
            if (_headerFields.Count < 256) _headerFields[name] = field;
        }
        return field;
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
        _redis = null;
    }
}
