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

    /// <summary>Counts the messages visible in the run's topic; for Redis by XLEN, for Kafka by a read_committed consumer.</summary>
    public IVisibleMessages Watch(string run, Action<ReadOnlyMemory<byte>, long>? onMessage = null) => kind switch
    {
        SinkKind.Redis => new RedisStreamReader(redis, Topic(run), onMessage),
        _ => new KafkaTopicReader(kafka, Topic(run), onMessage),
    };

    /// <summary>
    /// Waits until the sink holds a committed position for the source (a binlog source commits the position it starts at
    /// before any message; no message counter shows it).
    /// </summary>
    public async Task WaitForPositionAsync(string run, string source, TimeSpan timeout, Action check)
    {
        var started = BenchClock.Now;
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

    /// <summary>Drops what the run left in the sink (Redis keeps streams in memory).</summary>
    public async Task CleanUpAsync(string run)
    {
        if (kind != SinkKind.Redis) return;
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(Topic(run));
        var server = redis.GetServers()[0];
        await foreach (var key in server.KeysAsync(pattern: $"relay-bench:{run}:*")) await db.KeyDeleteAsync(key);
    }
}
