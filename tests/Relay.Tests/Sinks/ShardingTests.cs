using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Routing;
using Relay.Sinks.Kafka;
using Relay.Sinks.Nats;
using Relay.Sinks.RabbitMq;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sinks.Kafka;
using Relay.Tests.Sinks.Nats;
using Relay.Tests.Sinks.RabbitMq;
using StackExchange.Redis;

namespace Relay.Tests.Sinks;

/// <summary>
/// Shards: N puts a key on shard toPositive(murmur2(key)) % N on every broker. The expected shards come from the Java
/// client's murmur2 values of these keys (Apache Kafka's UtilsTest.testMurmur2 vectors), not from Relay's code.
/// </summary>
public class ShardingTests
{
    private static readonly (string Key, int JavaMurmur2)[] Vectors =
    [
        ("21", -973932308),
        ("foobar", -790332482),
        ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        ("abc", 479470107),
    ];

    private static int Expected(int javaMurmur2, int shards) => (javaMurmur2 & 0x7fffffff) % shards;

    private static OutboxMessage[] Batch(string topic) =>
        Vectors.Select((v, i) => new OutboxMessage(topic, Encoding.UTF8.GetBytes(v.Key), Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
            [new("id", Encoding.UTF8.GetBytes($"e{i}"))]) { EventId = $"e{i}" }).ToArray();

    private static async Task PublishAsync(IOutboxSinkFactory factory, SinkContext context, IReadOnlyList<OutboxMessage> batch)
    {
        Assert.Empty(factory.Validate(context));
        await using var sink = factory.Create(context, "src");
        await sink.InitializeAsync("src", default);
        await sink.PublishAsync(batch, new SourcePosition("p1"), default);
    }

    private static SinkContext Context(string kind, string topic, int shards, Dictionary<string, string?> settings)
    {
        var values = new Dictionary<string, string?> { ["Relay:Sinks:main:Kind"] = kind, [$"Relay:Sinks:main:Shards:{topic}"] = shards.ToString() };
        foreach (var (key, value) in settings) values["Relay:Sinks:main:" + key] = value;
        return RelayServices.Sink(values, "main");
    }

    [Fact]
    public async Task The_same_key_lands_on_the_same_shard_number_on_Kafka_Redis_NATS_and_RabbitMQ()
    {
        // Kafka first: the topic's partition count (a real cluster's or the mock's default) is the shard count for all four.
        var kafka = new KafkaTestKit(await TestServers.KafkaAsync());
        var kafkaTopic = KafkaTestKit.Unique("t-shards");
        var shards = kafka.PartitionCount(kafkaTopic);
        Assert.True(shards > 1, "the shard count must be above 1 for this test to mean anything");
        var expected = Vectors.ToDictionary(v => v.Key, v => Expected(v.JavaMurmur2, shards));
        Assert.True(expected.Values.Distinct().Count() > 1, "the keys must spread over several shards");

        var kafkaContext = kafka.Context(new Dictionary<string, string?> { [$"Shards:{kafkaTopic}"] = shards.ToString() });
        await PublishAsync(new KafkaSinkFactory(), kafkaContext, Batch(kafkaTopic));
        var kafkaShards = kafka.ReadTopic(kafkaTopic, Vectors.Length, IsolationLevel.ReadCommitted)
            .ToDictionary(r => Encoding.UTF8.GetString(r.Message.Key), r => r.Partition.Value);

        // Redis: streams <topic>.<shard>.
        var redis = await TestServers.RedisAsync();
        var redisTopic = "t" + Guid.NewGuid().ToString("N")[..12] + ".order";
        await PublishAsync(new RedisSinkFactory(NullLoggerFactory.Instance), Context("Redis", redisTopic, shards,
            new() { ["Configuration"] = redis, ["KeyPrefix"] = redisTopic + ":" }), Batch(redisTopic));
        var redisShards = new Dictionary<string, int>();
        await using (var mux = await ConnectionMultiplexer.ConnectAsync(redis))
        {
            var db = mux.GetDatabase();
            for (var shard = 0; shard < shards; shard++)
            {
                foreach (var entry in await db.StreamRangeAsync($"{redisTopic}.{shard}")) redisShards.Add((string)entry[RedisSink.KeyField]!, shard);
                await db.KeyDeleteAsync($"{redisTopic}.{shard}");
            }
            await db.KeyDeleteAsync([redisTopic + ":offsets", redisTopic + ":epoch:src"]);
        }

        // NATS: subjects <topic>.<shard>.
        await using var nats = await NatsTestKit.CreateAsync();
        var natsTopic = nats.Name + ".order";
        await PublishAsync(new NatsSinkFactory(), Context("Nats", natsTopic, shards, new()
        {
            ["Url"] = nats.Options.Url, ["Stream"] = nats.Options.Stream, ["StreamSubjects"] = nats.Options.StreamSubjects, ["PositionBucket"] = nats.Options.PositionBucket,
        }), Batch(natsTopic));
        var natsShards = (await nats.ReadAllAsync()).ToDictionary(r => r.Key!, r => int.Parse(r.Subject[(natsTopic.Length + 1)..]));
        Assert.All(await nats.ReadAllAsync(), r => Assert.StartsWith(natsTopic + ".", r.Subject));

        // RabbitMQ: routing key <topic>.<shard> on the topic exchange (a queue of that name per shard).
        await using var rabbit = await RabbitMqTestKit.CreateAsync();
        var rabbitTopic = rabbit.Name + ".order";
        var queues = Enumerable.Range(0, shards).Select(s => $"{rabbitTopic}.{s}").ToArray();
        rabbit.Track(queues);
        await PublishAsync(new RabbitMqSinkFactory(), Context("RabbitMQ", rabbitTopic, shards, new()
        {
            ["Uri"] = rabbit.Options.Uri, ["Exchange"] = rabbit.Options.Exchange, ["QueuePrefix"] = rabbit.Options.QueuePrefix,
        }), Batch(rabbitTopic));
        var rabbitRecords = await rabbit.DrainAsync(queues);
        Assert.All(rabbitRecords, r => Assert.Equal(r.Queue, r.RoutingKey));
        var rabbitShards = rabbitRecords.ToDictionary(r => r.Key!, r => int.Parse(r.RoutingKey[(rabbitTopic.Length + 1)..]));

        Assert.Equal(expected, kafkaShards);
        Assert.Equal(expected, redisShards);
        Assert.Equal(expected, natsShards);
        Assert.Equal(expected, rabbitShards);
    }

    [Fact]
    public async Task A_Kafka_topic_with_another_partition_count_than_its_Shards_stops_the_relay()
    {
        var kafka = new KafkaTestKit(await TestServers.KafkaAsync());
        var topic = KafkaTestKit.Unique("t-shards");
        var partitions = kafka.PartitionCount(topic);
        var context = kafka.Context(new Dictionary<string, string?> { [$"Shards:{topic}"] = (partitions + 1).ToString() });
        await using var sink = new KafkaSinkFactory().Create(context, "src");

        var error = await Assert.ThrowsAsync<RelayFatalException>(() => sink.InitializeAsync("src", KafkaTestKit.Bounded()));
        Assert.StartsWith($"Kafka topic '{topic}' has {partitions} partitions, but the sink's Shards:{topic} is {partitions + 1}", error.Message);
    }

    [Fact]
    public void A_message_without_a_key_goes_to_shard_0_and_an_unsharded_topic_keeps_its_name()
    {
        var map = new ShardMap(new Dictionary<string, int> { ["orders"] = 4 });
        Assert.Equal("orders.0", map.ChannelOf(new OutboxMessage("orders", null, null, [])));
        Assert.Equal("invoices", map.ChannelOf(new OutboxMessage("invoices", "21"u8.ToArray(), null, [])));
        Assert.Equal(-1, map.ShardOf(new OutboxMessage("invoices", "21"u8.ToArray(), null, [])));
        Assert.Equal($"orders.{(-973932308 & 0x7fffffff) % 4}", map.ChannelOf(new OutboxMessage("orders", "21"u8.ToArray(), null, [])));
    }
}
