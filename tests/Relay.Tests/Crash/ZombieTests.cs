using System.Globalization;
using System.Text.RegularExpressions;
using MySqlConnector;
using Npgsql;
using Relay.Tests.Deploy;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Crash;

/// <summary>
/// The fencing rule under a real zombie, for every source kind: a relay is frozen (SIGSTOP) mid-stream and
/// loses its database sessions, as in a network partition; a second relay takes over and fences it; then the
/// zombie is thawed with whatever batch it held in flight. Without fencing its commit would land beside the
/// successor's and duplicate rows; with it, the zombie's transaction is refused and discarded whole. The test
/// asserts both halves: a zombie did try to commit and was refused, and every row was published once, in order.
/// </summary>
[Trait("Category", "Crash")]
public sealed partial class ZombieTests(ITestOutputHelper output)
{
    private const int Rows = 40_000;
    private const int MaxCycles = 25;
    /// <summary>Refused commits to see before the test stops freezing relays (a freeze may also land between batches).</summary>
    private const int Refusals = 1;
    private const string Refused = "another relay took over the sink";
    private const string Failed = "pipeline failed";
    private const string Committed = "messages up to";
    private static readonly string[] AggregateTypes = ["order", "invoice"];

    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("PostgresPolling")]
    [InlineData("MySqlBinlog")]
    [InlineData("MySqlPolling")]
    public async Task A_thawed_zombie_relay_is_refused_by_the_sink_and_nothing_is_published_twice(string kind)
    {
        var redis = await TestServers.RedisAsync();
        var mySql = kind.StartsWith("MySql", StringComparison.Ordinal);
        await using var db = await OutboxDatabase.CreateAsync(mySql ? OutboxDatabase.MySql : OutboxDatabase.Postgres);
        await db.CreateOutboxAsync();
        var workload = new OutboxWorkload(db, 500, AggregateTypes);
        await workload.CreateSchemaAsync();
        var run = "zombie-" + Guid.NewGuid().ToString("N")[..8];
        var streams = AggregateTypes.Select(t => $"{run}.{t}").ToList();
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__z__Kind"] = kind,
            ["Relay__Sources__z__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__z__MaxBatchRows"] = "50",
            ["Relay__Sources__z__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sources__z__Outbox__DeadLetterTopic"] = run + ".deadletter",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = run + ":",
            // The lease check stands a thawed zombie down before it commits, which is safe but proves nothing of the
            // sink: with checks a minute apart the zombie's in-flight batch reaches the sink's fence, the last line.
            ["Relay__Sources__z__Lease__CheckInterval"] = "00:01:00",
            ["Relay__Sources__z__Lease__Timeout"] = "00:02:00",
            ["Logging__LogLevel__Default"] = "Warning",
            // "committed N messages" at Debug: a freeze right after one catches the relay with its next batch read ahead.
            ["Logging__LogLevel__Relay.Pipeline"] = "Debug",
        };
        if (kind.EndsWith("Polling", StringComparison.Ordinal)) env["Relay__Sources__z__PollInterval"] = "00:00:00.02";
        if (kind == "PostgresReplication") env["Relay__Sources__z__Slot"] = run.Replace('-', '_');
        if (kind == "MySqlBinlog") env["Relay__Sources__z__HeartbeatInterval"] = "00:00:01";
        await using var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), streams);
        await using var offsets = await ConnectionMultiplexer.ConnectAsync(redis);

        var relays = new List<RelayProcess>();
        try
        {
            // Log tailing publishes what commits after its first start: let a first run set its starting point up.
            if (kind == "PostgresReplication")
            {
                using var first = RelayProcess.Start(env);
                await ((PostgresDatabase)db).WaitForSlotStreamingAsync(env["Relay__Sources__z__Slot"], () => first.HasExited ? first.Output : null);
            }
            else if (kind == "MySqlBinlog")
            {
                using var first = RelayProcess.Start(env);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (!await offsets.GetDatabase().HashExistsAsync($"{run}:offsets", "z"))
                {
                    Assert.False(first.HasExited, $"The relay exited by itself:\n{first.Output}");
                    Assert.True(DateTime.UtcNow < deadline, $"No starting position was committed within 60 s:\n{first.Output}");
                    await Task.Delay(50);
                }
            }

            // A backlog keeps the relay busy, so a freeze usually catches it holding a batch it has read but not yet
            // committed: exactly the batch its successor reads again after the partition.
            using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var committed = workload.WriteAsync(4, Rows, TimeSpan.Zero, writing.Token);

            relays.Add(RelayProcess.Start(env));
            var refusals = 0;
            var cycle = 0;
            // A freeze right after a commit finds the relay with its next batch read (log tailing reads ahead) or being read
            // (polling: the query lands in the frozen relay's socket), or acknowledging: the test goes on until a thawed zombie
            // tried to commit a batch it held and was refused.
            while (refusals < Refusals)
            {
                Assert.True(cycle < MaxCycles, $"Only {refusals} of {cycle} thawed zombies tried to commit (and were refused); expected {Refusals}.");
                Assert.True(await reader.CountAsync() < Rows, $"The backlog ran out after {cycle} cycles with only {refusals} refused zombie commits.");
                cycle++;
                // The active relay (a thawed zombie may have won the lease back), frozen right after it committed a batch.
                var zombie = await NextCommitAsync(relays);
                zombie.Freeze();
                // A query the server was running as the freeze came still completes and lands in the frozen relay's socket:
                // then the relay holds a batch it read, which it tries to commit once thawed (polling reads one batch at a time).
                await Task.Delay(200);
                // The partition: the frozen relay's database sessions die, so its lease (and row locks, slot, binlog dump) are gone.
                var ended = await EndSessionsAsync(db, zombie.Id);
                var successor = RelayProcess.Start(env);
                relays.Add(successor);
                await WaitForProgressAsync(reader, successor);
                var before = zombie.Output.Length;
                zombie.Thaw(); // the zombie resumes with whatever it held: its next commit must be refused

                // It either commits the batch it held, and is refused, or first finds its database session gone.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                string after;
                while (!(after = zombie.Output[before..]).Contains(Refused) && !after.Contains(Failed))
                {
                    Assert.False(zombie.HasExited, $"The zombie exited:\n{zombie.Output}");
                    Assert.True(DateTime.UtcNow < deadline, $"The thawed zombie neither committed nor failed within 60 s:\n{after}");
                    await Task.Delay(20);
                }
                var refused = after.Contains(Refused) && (!after.Contains(Failed) || after.IndexOf(Refused, StringComparison.Ordinal) < after.IndexOf(Failed, StringComparison.Ordinal));
                if (refused) refusals++;
                var failure = refused ? "" : after[after.IndexOf(Failed, StringComparison.Ordinal)..].Split('\n')[0];
                output.WriteLine($"cycle {cycle}: froze the active relay, ended {ended} of its sessions, a new relay took over, zombie thawed: " +
                                 $"{(refused ? "its commit was refused" : "it failed first: " + failure[..Math.Min(failure.Length, 300)])}; {await reader.CountAsync()} visible");
            }

            var versions = await committed;
            var visible = DateTime.UtcNow.AddMinutes(3);
            while (await reader.CountAsync() < Rows && DateTime.UtcNow < visible) await Task.Delay(250);
            DeliveredMessage.AssertExactlyOnceInOrder(await reader.ReadAllAsync(), versions);
        }
        finally
        {
            foreach (var relay in relays) relay.Dispose();
            await offsets.GetDatabase().KeyDeleteAsync(streams.Append($"{run}.deadletter").Append($"{run}:offsets").Append($"{run}:epoch:z").Select(k => (RedisKey)k).ToArray());
        }
    }

    /// <summary>Waits for the next batch a relay commits ("committed N messages up to", at Debug) and returns that relay.</summary>
    private static async Task<RelayProcess> NextCommitAsync(IReadOnlyList<RelayProcess> relays)
    {
        var from = relays.Select(r => r.Output.Length).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            for (var i = 0; i < relays.Count; i++)
                if (relays[i].Output.IndexOf(Committed, from[i], StringComparison.Ordinal) >= 0) return relays[i];
            Assert.True(DateTime.UtcNow < deadline, "No relay committed a batch within 60 s:\n" + string.Join("\n---\n", relays.Select(r => r.Output)));
            await Task.Delay(5);
        }
    }

    /// <summary>Ends every session the process <paramref name="pid"/> holds on the test's database server, found by its client ports.</summary>
    private static async Task<int> EndSessionsAsync(OutboxDatabase db, int pid)
    {
        var postgres = db.Engine == OutboxDatabase.Postgres;
        var serverPort = postgres ? new NpgsqlConnectionStringBuilder(db.ConnectionString).Port : (int)new MySqlConnectionStringBuilder(db.ConnectionString).Port;
        var ss = await Repo.RunAsync("ss", ["-tnpH", "state", "established", $"( dport = :{serverPort} )"], TimeSpan.FromSeconds(30));
        Assert.True(ss.ExitCode == 0, ss.Output);
        var ports = ss.Stdout.Split('\n')
            .Where(line => line.Contains($"pid={pid},", StringComparison.Ordinal))
            .Select(line => LocalPort().Match(line))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.NotEmpty(ports);
        if (postgres)
        {
            return (int)await ((PostgresDatabase)db).ScalarAsync<long>(
                $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE client_port IN ({string.Join(",", ports)})");
        }
        await using var conn = (MySqlConnection)await db.OpenAsync();
        var hosts = string.Join(",", ports.Select(p => $"'{p}'")); // host is "127.0.0.1:port" or "localhost:port"
        var ids = new List<ulong>();
        await using (var cmd = new MySqlCommand($"SELECT id FROM information_schema.processlist WHERE SUBSTRING_INDEX(host, ':', -1) IN ({hosts})", conn))
        await using (var rows = await cmd.ExecuteReaderAsync())
            while (await rows.ReadAsync()) ids.Add(Convert.ToUInt64(rows.GetValue(0), CultureInfo.InvariantCulture));
        foreach (var id in ids)
        {
            await using var kill = new MySqlCommand($"KILL {id}", conn);
            try { await kill.ExecuteNonQueryAsync(); }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchThread) { } // it ended meanwhile
        }
        return ids.Count;
    }

    /// <summary>The local address's port in a line of `ss -tn` (the first address on the line).</summary>
    [GeneratedRegex(@"^\s*\d+\s+\d+\s+\S+:(\d+)\s")]
    private static partial Regex LocalPort();

    /// <summary>Waits until more messages are visible (committed by whichever relay holds the lease now).</summary>
    private static async Task WaitForProgressAsync(ISinkReader reader, RelayProcess successor)
    {
        var before = await reader.CountAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await reader.CountAsync() == before)
        {
            Assert.False(successor.HasExited || DateTime.UtcNow > deadline, $"No relay made progress after the partition; the new relay's output:\n{successor.Output}");
            await Task.Delay(20);
        }
    }
}
