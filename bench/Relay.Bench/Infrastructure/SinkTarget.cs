using NATS.Client.Core;
using NATS.Client.JetStream;
using RabbitMQ.Client;
using Relay.Sinks.Nats;
using Relay.Sinks.RabbitMq;
using StackExchange.Redis;

namespace Relay.Bench.Infrastructure;

/// <summary>One sink the relay publishes to in a run: its configuration for the relay process, and readers of what became visible.</summary>
public sealed class SinkTarget(SinkKind kind, BenchSettings settings, KafkaBroker kafka, ConnectionMultiplexer redis)
{
    public SinkKind Kind => kind;

    public KafkaBroker Kafka => kafka;

    public ConnectionMultiplexer Redis => redis;

    /// <summary>The relay's sink keys; each run has its own topics and offsets, so runs never see each other.</summary>
    public Dictionary<string, string> Environment(string run) => kind switch
    {
        SinkKind.Redis => new()
        {
            ["Relay__Sinks__out__Kind"] = "Redis",
            ["Relay__Sinks__out__Configuration"] = settings.Redis,
            ["Relay__Sinks__out__KeyPrefix"] = $"relay-bench:{run}:",
        },
        SinkKind.Nats => new()
        {
            ["Relay__Sinks__out__Kind"] = "Nats",
            ["Relay__Sinks__out__Url"] = settings.Nats,
            ["Relay__Sinks__out__Stream"] = NatsName(run),
            ["Relay__Sinks__out__StreamSubjects"] = $"bench.{run}.>",
            ["Relay__Sinks__out__PositionBucket"] = NatsName(run),
        },
        SinkKind.RabbitMq => new()
        {
            ["Relay__Sinks__out__Kind"] = "RabbitMQ",
            ["Relay__Sinks__out__Uri"] = settings.RabbitMq,
            ["Relay__Sinks__out__Exchange"] = RabbitMqExchange(run),
            ["Relay__Sinks__out__QueuePrefix"] = RabbitMqQueuePrefix(run),
        },
        _ => new()
        {
            ["Relay__Sinks__out__Kind"] = "Kafka",
            ["Relay__Sinks__out__BootstrapServers"] = kafka.BootstrapServers,
            ["Relay__Sinks__out__OffsetsTopic"] = OffsetsTopic(run),
            ["Relay__Sinks__out__CreateOffsetsTopic"] = kafka.IsMock ? "false" : "true",
        },
    };

    public static string Topic(string run) => $"bench.{run}.order";

    public static string TopicTemplate(string run) => $"bench.{run}.{{aggregatetype}}";

    /// <summary>NATS: the run's stream and position bucket.</summary>
    private static string NatsName(string run) => $"bench-{run}";

    /// <summary>RabbitMQ: the run's exchange; the queue of its topic is named after the topic (the routing key).</summary>
    private static string RabbitMqExchange(string run) => $"bench.{run}";

    /// <summary>RabbitMQ: the run's own position and lock queues, as source names repeat from run to run.</summary>
    private static string RabbitMqQueuePrefix(string run) => $"bench.{run}.relay.";

    /// <summary>
    /// Counts the messages visible in the run's topic; for Redis by XLEN, for Kafka by a read_committed consumer, for NATS
    /// by the stream's message count, for RabbitMQ by the topic queue's. Only Redis and Kafka hand each message over.
    /// </summary>
    public IVisibleMessages Watch(string run, Action<ReadOnlyMemory<byte>, long>? onMessage = null) => kind switch
    {
        SinkKind.Redis => new RedisStreamReader(redis, Topic(run), onMessage),
        SinkKind.Kafka => new KafkaTopicReader(kafka, Topic(run), onMessage),
        _ when onMessage is not null => throw new NotSupportedException($"The bench reads {kind} by counting only."),
        SinkKind.Nats => new NatsStreamCounter(settings.Nats, NatsName(run)),
        _ => RabbitMqQueueCounter.Start(settings.RabbitMq, RabbitMqExchange(run), Topic(run)),
    };

    /// <summary>
    /// Waits until the sink holds a committed position for the source (a binlog source commits the position it starts at
    /// before any message; no message counter shows it).
    /// </summary>
    public async Task WaitForPositionAsync(string run, string source, TimeSpan timeout, Action check)
    {
        var started = BenchClock.Now;
        if (kind is SinkKind.Nats or SinkKind.RabbitMq)
        {
            // The relay's own reader of committed positions (reading fences nobody).
            await using ISinkPositionStore store = kind == SinkKind.Nats
                ? new NatsPositionStore(new NatsSinkOptions { Url = settings.Nats, Stream = NatsName(run), PositionBucket = NatsName(run) })
                : new RabbitMqPositionStore(new RabbitMqSinkOptions { Uri = settings.RabbitMq, Exchange = RabbitMqExchange(run), QueuePrefix = RabbitMqQueuePrefix(run) });
            while (await store.ReadAsync(source, CancellationToken.None) is null)
            {
                check();
                if (BenchClock.SecondsSince(started) > timeout.TotalSeconds) throw new TimeoutException("The relay committed no start position.");
                await Task.Delay(20);
            }
            return;
        }
        if (kind == SinkKind.Redis)
        {
            while (!await redis.GetDatabase().HashExistsAsync($"relay-bench:{run}:offsets", source))
            {
                check();
                if (BenchClock.SecondsSince(started) > timeout.TotalSeconds) throw new TimeoutException("The relay committed no start position.");
                await Task.Delay(20);
            }
            return;
        }
        await using var offsets = new KafkaTopicReader(kafka, OffsetsTopic(run), null, fromBeginning: true);
        while (offsets.Count == 0)
        {
            check();
            if (BenchClock.SecondsSince(started) > timeout.TotalSeconds) throw new TimeoutException("The relay committed no start position.");
            await Task.Delay(20);
        }
    }

    private static string OffsetsTopic(string run) => $"bench.{run}.offsets";

    /// <summary>
    /// Drops what the run left in the sink: Redis keeps streams in memory; NATS and RabbitMQ keep the run's stream,
    /// bucket, exchange and queues on disk (the position queue of each of <paramref name="sources"/>).
    /// </summary>
    public async Task CleanUpAsync(string run, IEnumerable<string>? sources = null)
    {
        switch (kind)
        {
            case SinkKind.Redis:
                var db = redis.GetDatabase();
                await db.KeyDeleteAsync(Topic(run));
                var server = redis.GetServers()[0];
                await foreach (var key in server.KeysAsync(pattern: $"relay-bench:{run}:*")) await db.KeyDeleteAsync(key);
                break;
            case SinkKind.Nats:
                await using (var connection = new NatsConnection(NatsOpts.Default with { Url = settings.Nats }))
                {
                    var js = new NatsJSContext(connection);
                    foreach (var stream in new[] { NatsName(run), "KV_" + NatsName(run) })
                    {
                        try { await js.DeleteStreamAsync(stream); }
                        catch (NatsJSApiException) { } // never created
                    }
                }
                break;
            case SinkKind.RabbitMq:
                await using (var connection = await new ConnectionFactory { Uri = new Uri(settings.RabbitMq) }.CreateConnectionAsync())
                await using (var channel = await connection.CreateChannelAsync())
                {
                    // Deleting what does not exist is no error in AMQP 0-9-1.
                    await channel.QueueDeleteAsync(Topic(run));
                    foreach (var source in sources ?? []) await channel.QueueDeleteAsync(RabbitMqQueuePrefix(run) + "position." + source);
                    await channel.ExchangeDeleteAsync(RabbitMqExchange(run));
                }
                break;
        }
    }
}
