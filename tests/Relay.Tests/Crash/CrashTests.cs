using System.Diagnostics;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Crash;

/// <summary>
/// The proof of the exactly-once handoff: 8 writers commit 100,000 outbox rows over many aggregates
/// while the relay process is killed with SIGKILL at random instants and restarted; afterwards a
/// consumer of the sink must see every row exactly once and, per aggregate, in commit order.
/// Each of the handoff's three rules is load-bearing here: acknowledging the source before the sink
/// commit loses the batch in flight at a kill; not skipping the committed position on restart
/// duplicates it; without fencing a killed-but-running writer could commit beside its successor.
/// </summary>
[Trait("Category", "Crash")]
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Writers = 8;
    private const int Rows = 100_000;
    private const int Aggregates = 2_000;
    private const int MinKills = 10;
    private static readonly TimeSpan WritingTime = TimeSpan.FromSeconds(75);
    private static readonly string[] AggregateTypes = ["order", "invoice", "shipment"];

    [Fact]
    public Task Log_tailing_to_Redis_survives_kill_9_exactly_once_in_order() =>
        RunRedisAsync("PostgresReplication");

    [Fact]
    public Task Polling_to_Redis_survives_kill_9_exactly_once_in_order() =>
        RunRedisAsync("PostgresPolling");

    [Fact]
    public Task MySql_polling_to_Redis_survives_kill_9_exactly_once_in_order() =>
        RunRedisAsync("MySqlPolling");

    [Fact]
    public Task MySql_binlog_tailing_to_Redis_survives_kill_9_exactly_once_in_order() =>
        RunRedisAsync("MySqlBinlog");

    [SkippableFact]
    public async Task Log_tailing_to_Kafka_survives_kill_9_exactly_once_in_order()
    {
        var cluster = await TestServers.KafkaAsync();
        Skip.If(cluster.IsMock,
            "Needs a real Kafka: librdkafka's mock cluster hands aborted transactions to read_committed consumers, " +
            "so it cannot show what a crash leaves invisible. Set RELAY_TEST_KAFKA_BOOTSTRAP or run where Docker is reachable.");
        var run = "crash-" + Guid.NewGuid().ToString("N")[..8];
        var sinkEnv = new Dictionary<string, string>
        {
            ["Relay__Sinks__main__Kind"] = "Kafka",
            ["Relay__Sinks__main__BootstrapServers"] = cluster.BootstrapServers,
            ["Relay__Sinks__main__OffsetsTopic"] = run + ".offsets",
        };
        await using var reader = new KafkaTopicReader(cluster.BootstrapServers, AggregateTypes.Select(t => $"{run}.{t}").ToList());
        await RunAsync("PostgresReplication", run, sinkEnv, reader, hasCommittedPosition: null);
    }

    private async Task RunRedisAsync(string sourceKind)
    {
        var redis = await TestServers.RedisAsync();
        var run = "crash-" + Guid.NewGuid().ToString("N")[..8];
        var sinkEnv = new Dictionary<string, string>
        {
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = run + ":",
        };
        var streams = AggregateTypes.Select(t => $"{run}.{t}").ToList();
        await using var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), streams);
        await using var offsets = await ConnectionMultiplexer.ConnectAsync(redis);
        try
        {
            await RunAsync(sourceKind, run, sinkEnv, reader, () => offsets.GetDatabase().HashExistsAsync($"{run}:offsets", "crash"));
        }
        finally
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            var db = mux.GetDatabase();
            foreach (var stream in streams.Append($"{run}.deadletter")) await db.KeyDeleteAsync(stream);
            await db.KeyDeleteAsync([$"{run}:offsets", $"{run}:epoch:crash"]);
        }
    }

    /// <summary>A smaller run for the newer sinks: 20,000 rows and 5 mid-stream kills keep it to a few minutes.</summary>
    private sealed record Scale(int Rows, int MinKills, TimeSpan WritingTime);

    private static readonly Scale Full = new(Rows, MinKills, WritingTime);
    private static readonly Scale Small = new(20_000, 5, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Log_tailing_to_NATS_survives_kill_9_exactly_once_in_order_per_shard()
    {
        var url = await TestServers.NatsAsync();
        var run = "crash-" + Guid.NewGuid().ToString("N")[..8];
        var sinkEnv = new Dictionary<string, string>
        {
            ["Relay__Sinks__main__Kind"] = "Nats",
            ["Relay__Sinks__main__Url"] = url,
            ["Relay__Sinks__main__Stream"] = run,
            ["Relay__Sinks__main__StreamSubjects"] = run + ".>",
            ["Relay__Sinks__main__PositionBucket"] = run,
            // One topic sharded: per-aggregate order must hold within each shard's subject.
            [$"Relay__Sinks__main__Shards__{run}.order"] = "3",
        };
        await using var reader = new NatsStreamReader(url, run);
        await RunAsync("PostgresReplication", run, sinkEnv, reader, hasCommittedPosition: null, Small);
    }

    [Fact]
    public async Task Log_tailing_to_RabbitMQ_survives_kill_9_at_least_once_in_order_per_shard()
    {
        var uri = await TestServers.RabbitMqAsync();
        var run = "crash-" + Guid.NewGuid().ToString("N")[..8];
        var sinkEnv = new Dictionary<string, string>
        {
            ["Relay__Sinks__main__Kind"] = "RabbitMQ",
            ["Relay__Sinks__main__Uri"] = uri,
            ["Relay__Sinks__main__Exchange"] = run,
            ["Relay__Sinks__main__QueuePrefix"] = run + ".",
            [$"Relay__Sinks__main__Shards__{run}.order"] = "3",
        };
        var queues = new[] { $"{run}.invoice", $"{run}.shipment", $"{run}.deadletter" }
            .Concat(Enumerable.Range(0, 3).Select(s => $"{run}.order.{s}")).ToList();
        await using var reader = new RabbitMqQueueReader(uri, queues, [run + ".position.crash"], run);
        await RunAsync("PostgresReplication", run, sinkEnv, reader, hasCommittedPosition: null, Small, (delivered, committed, kills) =>
        {
            var duplicates = DeliveredMessage.AssertAtLeastOnceInOrder(delivered, committed, maxDuplicates: kills * 500);
            output.WriteLine($"  {duplicates} duplicates (batches in flight at {kills} kills, at most {kills} × MaxBatchRows 500 = {kills * 500})");
        });
    }

    private async Task RunAsync(string sourceKind, string run, Dictionary<string, string> sinkEnv, ISinkReader reader, Func<Task<bool>>? hasCommittedPosition,
        Scale? scale = null, Action<IReadOnlyList<DeliveredMessage>, IReadOnlyDictionary<int, int>, int>? verify = null)
    {
        var (rows, minKills, writingTime) = scale ?? Full;
        await using var db = await OutboxDatabase.CreateAsync(sourceKind.StartsWith("MySql", StringComparison.Ordinal) ? OutboxDatabase.MySql : OutboxDatabase.Postgres);
        await db.CreateOutboxAsync();
        var workload = new OutboxWorkload(db, Aggregates, AggregateTypes);
        await workload.CreateSchemaAsync();

        var env = new Dictionary<string, string>(sinkEnv)
        {
            ["Relay__Sources__crash__Kind"] = sourceKind,
            ["Relay__Sources__crash__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__crash__Sink"] = "main",
            ["Relay__Sources__crash__MaxBatchRows"] = "500",
            ["Relay__Sources__crash__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sources__crash__Outbox__DeadLetterTopic"] = run + ".deadletter",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Relay.Pipeline"] = "Information",
        };
        if (sourceKind.EndsWith("Polling", StringComparison.Ordinal)) env["Relay__Sources__crash__PollInterval"] = "00:00:00.05";
        var slot = run.Replace('-', '_');
        if (sourceKind == "PostgresReplication")
        {
            env["Relay__Sources__crash__Slot"] = slot;
            // Log tailing publishes what commits after its slot exists: let a first run create it.
            using var first = RelayProcess.Start(env);
            await ((PostgresDatabase)db).WaitForSlotStreamingAsync(slot, () => first.HasExited ? first.Output : null);
            first.KillHard();
        }
        else if (sourceKind == "MySqlBinlog")
        {
            env["Relay__Sources__crash__HeartbeatInterval"] = "00:00:01";
            // Binlog tailing publishes what commits after its first start, whose position it commits at once.
            using var first = RelayProcess.Start(env);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await hasCommittedPosition!())
            {
                Assert.False(first.HasExited, $"The relay exited by itself:\n{first.Output}");
                Assert.True(DateTime.UtcNow < deadline, $"No starting position was committed within 60 s:\n{first.Output}");
                await Task.Delay(50);
            }
            first.KillHard();
        }

        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"{sourceKind}: seed {seed}, {rows} rows by {Writers} writers over {Aggregates} aggregates");
        var clock = Stopwatch.StartNew();
        using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var writers = workload.WriteAsync(Writers, rows, writingTime, writing.Token);

        // One kill in four lands at a random instant after start (start-up, fencing, first poll);
        // the others at a random instant after the relay was seen publishing, mid-stream.
        var kills = 0;
        var midStreamKills = 0;
        while (midStreamKills < minKills || !writers.IsCompleted)
        {
            if (writers.IsCompleted && await reader.CountAsync() >= rows) break;
            using var relay = RelayProcess.Start(env);
            var before = await reader.CountAsync();
            var midStream = kills % 4 != 0;
            if (midStream)
            {
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (await reader.CountAsync() == before && DateTime.UtcNow < deadline && !relay.HasExited)
                    await Task.Delay(20);
            }
            var delay = TimeSpan.FromMilliseconds(midStream ? random.Next(0, 800) : random.Next(200, 3000));
            await Task.Delay(delay);
            Assert.False(relay.HasExited, $"The relay exited by itself (code {(relay.HasExited ? relay.ExitCode : 0)}):\n{relay.Output}");
            relay.KillHard();
            kills++;
            var after = await reader.CountAsync();
            if (midStream && after > before) midStreamKills++;
            output.WriteLine($"  kill -9 #{kills} ({(midStream ? "mid-stream" : "from start")}, +{delay.TotalMilliseconds:F0} ms): {before} → {after} visible at {clock.Elapsed.TotalSeconds:F1} s");
            if (writers.IsFaulted) await writers;
        }
        Assert.True(midStreamKills >= minKills, $"Only {midStreamKills} of {kills} kills landed while the relay was publishing.");
        var committed = await writers;
        var expected = committed.Values.Sum();
        Assert.Equal(rows, expected);

        using (var final = RelayProcess.Start(env))
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            long visible;
            // Wait for the pipeline to be running too: a SIGTERM before the host is up is not a clean stop to test.
            while (((visible = await reader.CountAsync()) < expected || !final.Output.Contains("resuming after"))
                   && DateTime.UtcNow < deadline && !final.HasExited)
                await Task.Delay(250);
            output.WriteLine($"  final run caught up: {visible} visible at {clock.Elapsed.TotalSeconds:F1} s");
            Assert.False(final.HasExited, $"The relay exited by itself:\n{final.Output}");
            Assert.Equal(0, await final.StopAsync(TimeSpan.FromSeconds(30)));
        }

        var delivered = await reader.ReadAllAsync();
        output.WriteLine($"  {kills} kills ({midStreamKills} mid-stream); verifying {delivered.Count} messages");
        if (verify is null) DeliveredMessage.AssertExactlyOnceInOrder(delivered, committed);
        else verify(delivered, committed, kills);
    }
}
