using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Crash;

/// <summary>
/// The fencing rule under a real zombie: a relay is frozen (SIGSTOP) mid-stream and loses its
/// database sessions, as in a network partition; a second relay takes over and fences it; then the
/// zombie is thawed with whatever batch it held in flight. Without fencing its commit would land
/// beside the successor's and duplicate rows; with it, the zombie's transaction is discarded whole.
/// </summary>
[Trait("Category", "Crash")]
public sealed class ZombieTests(ITestOutputHelper output)
{
    private const int Rows = 40_000;
    private const int Cycles = 12;
    private static readonly string[] AggregateTypes = ["order", "invoice"];

    [Fact]
    public async Task A_thawed_zombie_relay_is_fenced_and_nothing_is_published_twice()
    {
        var redis = await TestServers.RedisAsync();
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var workload = new OutboxWorkload(db, 500, AggregateTypes);
        await workload.CreateSchemaAsync();
        var run = "zombie-" + Guid.NewGuid().ToString("N")[..8];
        var streams = AggregateTypes.Select(t => $"{run}.{t}").ToList();
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__z__Kind"] = "PostgresPolling",
            ["Relay__Sources__z__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__z__MaxBatchRows"] = "50",
            ["Relay__Sources__z__PollInterval"] = "00:00:00.02",
            ["Relay__Sources__z__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sources__z__Outbox__DeadLetterTopic"] = run + ".deadletter",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = run + ":",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        await using var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), streams);
        // A backlog keeps the relay busy, so a freeze usually catches it holding a batch it has read
        // but not yet committed: exactly the batch its successor reads again after the partition.
        using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var committed = await workload.WriteAsync(4, Rows, TimeSpan.Zero, writing.Token);

        var relays = new List<RelayProcess>();
        try
        {
            var live = RelayProcess.Start(env);
            relays.Add(live);
            var random = new Random();
            for (var cycle = 1; cycle <= Cycles; cycle++)
            {
                await WaitForProgressAsync(reader, live);
                await Task.Delay(random.Next(0, 50));
                live.Freeze();
                // The partition: the frozen relay's database sessions die, so its lease and row locks are gone.
                var terminated = await db.ScalarAsync<long>(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'relay%'");
                var successor = RelayProcess.Start(env);
                relays.Add(successor);
                await WaitForProgressAsync(reader, successor);
                live.Thaw(); // the zombie resumes with whatever batch it held; its commit must be refused
                output.WriteLine($"cycle {cycle}: froze a relay, ended {terminated} of its sessions, successor took over, zombie thawed; {await reader.CountAsync()} visible");
                live = successor;
            }

            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await reader.CountAsync() < Rows && DateTime.UtcNow < deadline) await Task.Delay(250);
            DeliveredMessage.AssertExactlyOnceInOrder(await reader.ReadAllAsync(), committed);
        }
        finally
        {
            foreach (var relay in relays) relay.Dispose();
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            await mux.GetDatabase().KeyDeleteAsync(streams.Append($"{run}.deadletter").Append($"{run}:offsets").Append($"{run}:epoch:z").Select(k => (RedisKey)k).ToArray());
        }
    }

    private static async Task WaitForProgressAsync(ISinkReader reader, RelayProcess relay)
    {
        var before = await reader.CountAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await reader.CountAsync() == before)
        {
            Assert.False(relay.HasExited || DateTime.UtcNow > deadline, $"The relay made no progress:\n{relay.Output}");
            await Task.Delay(20);
        }
    }
}
