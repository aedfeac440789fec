using Confluent.Kafka;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sinks.Kafka;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>The command line against the real servers: each command's effect and exit code.</summary>
[Collection("Kafka")]
public sealed class CliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args) =>
        RelayProcess.RunAsync(env, Wait, args);

    private static Dictionary<string, string> PollingToRedis(PostgresDatabase db, string redis, string prefix) =>
        new(RelayProcess.SourceToRedis("PostgresPolling", db.ConnectionString, redis, prefix)) { ["Relay__Sources__orders__PollInterval"] = "00:00:00.05" };

    [Fact]
    public async Task Help_reads_well_and_usage_errors_exit_2()
    {
        var (code, help) = await RunAsync(new Dictionary<string, string>(), "--help");
        Assert.Equal(0, code);
        foreach (var word in new[] { "run", "validate", "setup", "offsets", "--config", "Exit codes" }) Assert.Contains(word, help);

        var (resetCode, resetHelp) = await RunAsync(new Dictionary<string, string>(), "offsets", "reset", "--help");
        Assert.Equal(0, resetCode);
        Assert.Contains("--delete", resetHelp);
        Assert.Contains("--yes", resetHelp);

        Assert.Equal(2, (await RunAsync(new Dictionary<string, string>(), "frobnicate")).Code);
        Assert.Equal(2, (await RunAsync(new Dictionary<string, string>(), "validate", "--conect")).Code);
        var (missing, output) = await RunAsync(new Dictionary<string, string>(), "offsets", "reset", "--delete");
        Assert.Equal(2, missing);
        Assert.Contains("--source", output);
    }

    [Fact]
    public async Task Validate_checks_the_configuration_and_with_connect_the_servers_and_setup_fixes_what_it_found()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-cli-" + Guid.NewGuid().ToString("N")[..8];
        var env = PollingToRedis(db, redis, prefix);
        env["Relay__Sources__orders__TimestampColumn"] = "created_at";

        var (valid, validOutput) = await RunAsync(env, "validate");
        Assert.True(valid == 0, validOutput);
        Assert.Contains("Configuration is valid: 1 enabled source(s): orders (PostgresPolling", validOutput);

        var (bad, badOutput) = await RunAsync(new Dictionary<string, string>(env) { ["Relay__Sources__orders__PollInterval"] = "soon" }, "validate");
        Assert.Equal(2, bad);
        Assert.Contains("Relay:Sources:orders:PollInterval", badOutput);

        // No outbox table yet: --connect finds it and names the fix.
        var (missing, missingOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(missing == 3, missingOutput);
        Assert.Contains("does not exist", missingOutput);
        Assert.Contains("relay setup --apply --source orders", missingOutput);
        Assert.Contains("sink main (Redis) for source orders: OK", missingOutput);

        // setup prints the DDL without touching the database, then --apply runs it.
        var (printed, script) = await RunAsync(env, "setup");
        Assert.True(printed == 0, script);
        Assert.Contains("CREATE TABLE IF NOT EXISTS \"public\".\"outbox\"", script);
        Assert.Contains("\"seq\" bigint GENERATED ALWAYS AS IDENTITY", script);
        Assert.Contains("\"created_at\" timestamptz NOT NULL DEFAULT now()", script);
        Assert.Contains("GRANT SELECT, UPDATE, DELETE", script);
        Assert.Equal("", await db.ScalarAsync<string>("SELECT coalesce(to_regclass('public.outbox')::text, '')"));

        var (applied, appliedOutput) = await RunAsync(env, "setup", "--apply", "--source", "orders");
        Assert.True(applied == 0, appliedOutput);
        Assert.Equal("outbox", await db.ScalarAsync<string>("SELECT to_regclass('public.outbox')::text"));
        Assert.Equal(0, (await RunAsync(env, "setup", "--apply")).Code); // idempotent

        var (ok, okOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(ok == 0, okOutput);
        Assert.Contains("Every server is reachable and set up.", okOutput);

        // The table setup made is the one the relay polls.
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}')");
        using (var relay = RelayProcess.Start(env))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM outbox") == 0, relay.Output);
        }

        var (unknown, unknownOutput) = await RunAsync(env, "setup", "--source", "nope");
        Assert.Equal(2, unknown);
        Assert.Contains("No enabled source is named 'nope'", unknownOutput);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
    }

    [Fact]
    public async Task Setup_of_log_tailing_creates_the_publication_and_slot_so_rows_before_the_first_start_are_published()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-clisetup-" + Guid.NewGuid().ToString("N")[..8];
        var slot = prefix.Replace('-', '_');
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__orders__Kind"] = "PostgresReplication",
            ["Relay__Sources__orders__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__orders__Slot"] = slot,
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = prefix + ":",
        };
        var (applied, output) = await RunAsync(env, "setup", "--apply");
        Assert.True(applied == 0, output);
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_publication_tables WHERE pubname = '{slot}' AND tablename = 'outbox'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND plugin = 'pgoutput'"));
        var (checkedOk, checkOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(checkedOk == 0, checkOutput);

        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 3) g");
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        using (var relay = RelayProcess.Start(env))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await mux.GetDatabase().StreamLengthAsync(prefix + ".order") < 3 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await mux.GetDatabase().StreamLengthAsync(prefix + ".order") == 3, relay.Output);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
    }

    [Fact]
    public async Task Offsets_show_and_reset_in_Redis_with_confirmation_and_fencing()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 4) g");
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-clioff-" + Guid.NewGuid().ToString("N")[..8];
        var env = PollingToRedis(db, redis, prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var redisDb = mux.GetDatabase();
        try
        {
            var (none, noneOutput) = await RunAsync(env, "offsets", "show");
            Assert.True(none == 0, noneOutput);
            Assert.Contains("orders\t(none", noneOutput);

            using (var relay = RelayProcess.Start(env))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
            }
            var committed = (string?)await redisDb.HashGetAsync(prefix + ":offsets", "orders");
            Assert.StartsWith("pgpoll:", committed);
            var epoch = (long)await redisDb.StringGetAsync(prefix + ":epoch:orders");

            var (shown, shownOutput) = await RunAsync(env, "offsets", "show", "--source", "orders");
            Assert.Equal(0, shown);
            Assert.Contains($"orders\t{committed}", shownOutput);
            Assert.Equal(epoch, (long)await redisDb.StringGetAsync(prefix + ":epoch:orders")); // reading fences nobody

            // Without --yes and without a terminal nothing changes.
            var (declined, declinedOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--delete");
            Assert.Equal(4, declined);
            Assert.Contains("Warning: a relay running for this source is fenced: its batch in flight is discarded and it starts over from the new position.", declinedOutput);
            Assert.DoesNotContain("stopped first", declinedOutput);
            Assert.Equal(committed, (string?)await redisDb.HashGetAsync(prefix + ":offsets", "orders"));

            // A reset under a running relay fences it: its next commit is refused, and it starts over from the new position.
            // (At Debug, a relay that does not start says where it waits: lease, sink.)
            using (var relay = RelayProcess.Start(new Dictionary<string, string>(env) { ["Logging__LogLevel__Relay"] = "Debug" }))
            {
                await relay.WaitForOutputAsync($"resuming after committed position {committed}");
                epoch = (long)await redisDb.StringGetAsync(prefix + ":epoch:orders"); // the relay's start took the next epoch
                var (moved, movedOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--to", "pgpoll:", "--yes");
                Assert.True(moved == 0, movedOutput);
                Assert.Equal("pgpoll:", (string?)await redisDb.HashGetAsync(prefix + ":offsets", "orders"));
                Assert.Equal(epoch + 1, (long)await redisDb.StringGetAsync(prefix + ":epoch:orders"));

                await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(5, 6) g");
                await relay.WaitForOutputAsync("another relay took over the sink");
                await relay.WaitForOutputAsync("resuming after committed position pgpoll:" + Environment.NewLine);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
                Assert.Equal(epoch + 2, (long)await redisDb.StringGetAsync(prefix + ":epoch:orders"));
            }
            // The fenced batch left nothing: rows 5 and 6 once, after the first four.
            var entries = await redisDb.StreamRangeAsync(prefix + ".order");
            Assert.Equal(["1", "2", "3", "4", "5", "6"], entries.Select(e => (string)e[RedisSink.KeyField]!));
            Assert.Equal(6, entries.Select(e => (string)e[RedisSink.HeaderFieldPrefix + "id"]!).Distinct().Count());
            Assert.NotEqual(committed, (string?)await redisDb.HashGetAsync(prefix + ":offsets", "orders"));

            var (deleted, deletedOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--delete", "--yes");
            Assert.True(deleted == 0, deletedOutput);
            Assert.False(await redisDb.HashExistsAsync(prefix + ":offsets", "orders"));

            var (neither, neitherOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--yes");
            Assert.Equal(2, neither);
            Assert.Contains("--to POSITION", neitherOutput);
        }
        finally
        {
            await redisDb.KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
        }
    }

    [Fact]
    public async Task Offsets_show_and_reset_in_Kafka()
    {
        var cluster = await TestServers.KafkaAsync();
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 3) g");
        var run = KafkaTestKit.Unique("clioff");
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__orders__Kind"] = "PostgresPolling",
            ["Relay__Sources__orders__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__orders__PollInterval"] = "00:00:00.05",
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sinks__kafka__Kind"] = "Kafka",
            ["Relay__Sinks__kafka__BootstrapServers"] = cluster.BootstrapServers,
            ["Relay__Sinks__kafka__OffsetsTopic"] = run + ".offsets",
            ["Relay__Sinks__kafka__CreateOffsetsTopic"] = cluster.IsMock ? "false" : "true",
        };
        var (none, noneOutput) = await RunAsync(env, "offsets", "show");
        Assert.True(none == 0, noneOutput);
        Assert.Contains("orders\t(none", noneOutput);

        using (var relay = RelayProcess.Start(env))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM outbox") == 0, relay.Output);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }

        var (shown, shownOutput) = await RunAsync(env, "offsets", "show", "--source", "orders");
        Assert.True(shown == 0, shownOutput);
        Assert.Contains("orders\tpgpoll:", shownOutput);

        var (moved, movedOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--to", "pgpoll:2", "--yes");
        Assert.True(moved == 0, movedOutput);
        Assert.Contains("Warning: a relay running for this source is fenced:", movedOutput);
        Assert.Contains("orders\tpgpoll:2", (await RunAsync(env, "offsets", "show")).Output);

        // At least once there is no transactional id to fence with: the warning says to stop the relay instead.
        var (unfenced, unfencedOutput) = await RunAsync(new Dictionary<string, string>(env) { ["Relay__Sinks__kafka__Delivery"] = "AtLeastOnce" },
            "offsets", "reset", "--source", "orders", "--delete");
        Assert.True(unfenced == 4, unfencedOutput);
        Assert.Contains("Warning: stop any relay running for this source first: this Kafka sink cannot fence it, " +
                        "and its next commit would write its own position over the new one.", unfencedOutput);
        Assert.DoesNotContain("fenced:", unfencedOutput);

        var (deleted, deletedOutput) = await RunAsync(env, "offsets", "reset", "--source", "orders", "--delete", "--yes");
        Assert.True(deleted == 0, deletedOutput);
        Assert.Contains("orders\t(none", (await RunAsync(env, "offsets", "show")).Output);
    }
}
