using System.Text;
using Confluent.Kafka;
using Relay.Sinks.Redis;
using StackExchange.Redis;

namespace Relay.Tests.Crash;

/// <summary>Reads back what a sink committed, as a consumer would.</summary>
public interface ISinkReader : IAsyncDisposable
{
    /// <summary>How many messages are visible now (for waiting until the relay caught up).</summary>
    Task<long> CountAsync();

    /// <summary>Every visible message, per stream/partition in the order a consumer reads it.</summary>
    Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync();
}

public sealed class RedisStreamReader(ConnectionMultiplexer redis, IReadOnlyList<string> streams) : ISinkReader
{
    public async Task<long> CountAsync()
    {
        var db = redis.GetDatabase();
        long total = 0;
        foreach (var stream in streams) total += await db.StreamLengthAsync(stream);
        return total;
    }

    public async Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync()
    {
        var db = redis.GetDatabase();
        var all = new List<DeliveredMessage>();
        foreach (var stream in streams)
        {
            RedisValue from = "-";
            while (true)
            {
                var page = await db.StreamRangeAsync(stream, from, "+", count: 5000);
                var skipFirst = from != "-";
                foreach (var entry in page.Skip(skipFirst ? 1 : 0))
                {
                    all.Add(DeliveredMessage.Parse(stream,
                        (string)entry[RedisSink.HeaderFieldPrefix + "id"]!,
                        (string)entry[RedisSink.KeyField]!,
                        (string)entry[RedisSink.ValueField]!));
                }
                if (page.Length < 5000) break;
                from = page[^1].Id;
            }
        }
        return all;
    }

    public ValueTask DisposeAsync() => redis.DisposeAsync();
}

/// <summary>A read_committed consumer without a group, reading each topic's partitions from the start.</summary>
public sealed class KafkaTopicReader(string bootstrapServers, IReadOnlyList<string> topics) : ISinkReader
{
    public async Task<long> CountAsync() => (await ReadAllAsync()).Count;

    public Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync() => Task.Run<IReadOnlyList<DeliveredMessage>>(() =>
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "relay-crash-reader-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var all = new List<DeliveredMessage>();
        foreach (var topic in topics)
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single();
            if (metadata.Error.IsError) continue; // not created yet: nothing visible
            foreach (var partition in metadata.Partitions)
            {
                var tp = new TopicPartition(topic, partition.PartitionId);
                var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High;
                consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (DateTime.UtcNow < deadline)
                {
                    var result = consumer.Consume(TimeSpan.FromSeconds(1));
                    if (result is null) continue;
                    if (result.IsPartitionEOF) break;
                    var id = Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes("id"));
                    all.Add(DeliveredMessage.Parse(topic, id, result.Message.Key, result.Message.Value));
                    if (result.Offset.Value + 1 >= end) break;
                }
                consumer.Unassign();
            }
        }
        return all;
    });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
