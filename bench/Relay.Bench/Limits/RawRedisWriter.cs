using System.Text;
using Relay.Bench.Infrastructure;
using StackExchange.Redis;

namespace Relay.Bench.Limits;

/// <summary>Plain XADDs to the same Redis, pipelined a batch at a time (the relay's batch size), each batch awaited whole.</summary>
public static class RawRedisWriter
{
    public static async Task<LimitRun> RunAsync(ConnectionMultiplexer redis, string stream, int messages, int perBatch, int payloadBytes)
    {
        var db = redis.GetDatabase();
        var value = Encoding.UTF8.GetBytes("{\"n\": 1, \"pad\": \"" + new string('x', Math.Max(1, payloadBytes - 22)) + "\"}");
        var started = BenchClock.Now;
        var pending = new List<Task>(perBatch);
        for (var sent = 0; sent < messages; sent += perBatch)
        {
            pending.Clear();
            var count = Math.Min(perBatch, messages - sent);
            for (var i = 0; i < count; i++)
            {
                var n = sent + i;
                pending.Add(db.StreamAddAsync(stream,
                [
                    new NameValueEntry("key", (n % 1000).ToString()),
                    new NameValueEntry("value", value),
                    new NameValueEntry("h.id", Guid.NewGuid().ToString()),
                    new NameValueEntry("h.type", "Created"),
                ]));
            }
            await Task.WhenAll(pending);
        }
        var seconds = BenchClock.SecondsSince(started);
        await db.KeyDeleteAsync(stream);
        return new LimitRun($"pipelined XADD, {perBatch} per batch", messages, seconds);
    }
}
