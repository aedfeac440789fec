using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>
/// Plain JetStream publishes to the same server as the relay makes them: the same kind of messages (Nats-Msg-Id, key,
/// id and type headers, JSON value) a batch at a time (the relay's batch size), all sent and then all acks awaited,
/// plus one key-value update with the expected revision per batch (the position).
/// </summary>
public static class RawNatsPublisher
{
    public const string Name = "pipelined JetStream publish + acks";

    public static async Task<LimitRun> RunAsync(string url, string run, int messages, int perBatch, int payloadBytes)
    {
        var name = "bench-raw-" + run;
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = url, Name = "relay-bench-raw" });
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig(name, [$"bench.raw.{run}.>"]) { Storage = StreamConfigStorage.File, DuplicateWindow = TimeSpan.FromMinutes(2) });
        var kv = await new NatsKVContext(js).CreateStoreAsync(new NatsKVConfig(name) { History = 1, Storage = NatsKVStorageType.File });
        try
        {
            var subject = $"bench.raw.{run}.order";
            var value = Encoding.UTF8.GetBytes("{\"n\": 1, \"pad\": \"" + new string('x', Math.Max(1, payloadBytes - 22)) + "\"}");
            var revision = await kv.CreateAsync("raw", "pos:0"u8.ToArray(), NatsRawSerializer<byte[]>.Default);
            var started = BenchClock.Now;
            var futures = new List<NatsJSPublishConcurrentFuture>(perBatch);
            for (var sent = 0; sent < messages; sent += perBatch)
            {
                futures.Clear();
                var count = Math.Min(perBatch, messages - sent);
                for (var i = 0; i < count; i++)
                {
                    var id = Guid.NewGuid().ToString();
                    var headers = new NatsHeaders { ["relay.key"] = ((sent + i) % 1000).ToString(), ["id"] = id, ["type"] = "Created" };
                    futures.Add(await js.PublishConcurrentAsync(subject, value, NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { MsgId = id }, headers));
                }
                foreach (var future in futures)
                {
                    await using (future) (await future.GetResponseAsync()).EnsureSuccess();
                }
                revision = await kv.UpdateAsync("raw", Encoding.UTF8.GetBytes($"pos:{sent + count}"), revision, NatsRawSerializer<byte[]>.Default);
            }
            return new LimitRun($"{Name}, {perBatch} per batch", messages, BenchClock.SecondsSince(started));
        }
        finally
        {
            await js.DeleteStreamAsync(name);
            await js.DeleteStreamAsync("KV_" + name);
        }
    }
}
