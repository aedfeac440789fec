using StackExchange.Redis;

namespace Relay.Sinks.Redis;

/// <summary>
/// The committed positions in Redis (the offsets hash under KeyPrefix). Reading is a plain HGET, which fences
/// nobody. A reset increments the source's epoch and sets or deletes its position in one script, so a running
/// relay's next commit finds a newer epoch, writes nothing, and starts over from the new position.
/// </summary>
internal sealed class RedisPositionStore(RedisSinkOptions options) : ISinkPositionStore
{
    private const string ResetScript = """
        redis.call('INCR', KEYS[1])
        if ARGV[2] == '1' then
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        else
          redis.call('HDEL', KEYS[2], ARGV[1])
        end
        return 1
        """;

    private ConnectionMultiplexer? _redis;

    public RunningRelayOnReset RunningRelayOnReset => RunningRelayOnReset.Fenced;

    public async Task<SourcePosition?> ReadAsync(string sourceName, CancellationToken cancellationToken)
    {
        var db = (await ConnectAsync(cancellationToken)).GetDatabase();
        var value = await db.HashGetAsync(RedisSink.OffsetsKey(options), sourceName).WaitAsync(cancellationToken);
        return value.IsNull ? null : new SourcePosition(value!);
    }

    public async Task ResetAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken)
    {
        var db = (await ConnectAsync(cancellationToken)).GetDatabase();
        await db.ScriptEvaluateAsync(ResetScript,
            [RedisSink.EpochKey(options, sourceName), RedisSink.OffsetsKey(options)],
            [sourceName, position is null ? "0" : "1", position?.Value ?? ""]).WaitAsync(cancellationToken);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_redis is not null) return _redis;
        return _redis = await RedisSink.ConnectAsync(options, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
        _redis = null;
    }
}
