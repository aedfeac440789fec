using StackExchange.Redis;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// Reads a Redis stream as a consumer would. Without a callback it only counts (XLEN); with one it reads the entries
/// (XREAD from the last id) so each message's time of visibility is known to within a millisecond.
/// </summary>
public sealed class RedisStreamReader : TopicReader
{
    private readonly IDatabase _db;
    private readonly RedisKey _stream;
    private RedisValue _lastId = "0-0";

    public RedisStreamReader(ConnectionMultiplexer redis, string stream, Action<ReadOnlyMemory<byte>, long>? onMessage) : base(onMessage)
    {
        _db = redis.GetDatabase();
        _stream = stream;
        Begin();
    }

    protected override void Poll(CancellationToken cancellationToken)
    {
        if (OnMessage is null)
        {
            SetCount(_db.StreamLength(_stream));
            Thread.Sleep(2);
            return;
        }
        var entries = _db.StreamRead(_stream, _lastId, 5000);
        if (entries.Length == 0)
        {
            Thread.Sleep(1);
            return;
        }
        var seenAt = BenchClock.Now;
        foreach (var entry in entries)
        {
            var value = entry["value"];
            OnMessage(value.IsNull ? ReadOnlyMemory<byte>.Empty : (byte[])value!, seenAt);
        }
        _lastId = entries[^1].Id;
        Seen(entries.Length);
    }
}
