using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>`validate --connect` and `setup --apply` for the MySQL kinds on a fresh MariaDB database, then the relay streaming from what setup made.</summary>
public sealed class MySqlCliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args) =>
        RelayProcess.RunAsync(env, Wait, args);

    [Fact]
    public async Task Polling_validate_finds_the_missing_outbox_and_setup_creates_one_the_relay_polls()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-mycli-" + Guid.NewGuid().ToString("N")[..8];
        var env = RelayProcess.SourceToRedis("MySqlPolling", db.ConnectionString, redis, prefix);
        env["Relay__Sources__orders__PollInterval"] = "00:00:00.05";
        env["Relay__Sources__orders__TimestampColumn"] = "created_at";

        var (missing, missingOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(missing == 3, missingOutput);
        Assert.Contains("does not exist", missingOutput);
        Assert.Contains("relay setup --apply --source orders", missingOutput);

        var (printed, script) = await RunAsync(env, "setup");
        Assert.True(printed == 0, script);
        Assert.Contains($"CREATE TABLE IF NOT EXISTS `{db.Name}`.`outbox`", script);
        Assert.Contains("`seq` BIGINT NOT NULL AUTO_INCREMENT UNIQUE", script);
        Assert.Contains("`created_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)", script);
        Assert.Contains($"-- GRANT SELECT, DELETE ON `{db.Name}`.`outbox` TO 'relay'@'%';", script);
        Assert.Equal(0L, await TableCountAsync(db));

        var (applied, appliedOutput) = await RunAsync(env, "setup", "--apply", "--source", "orders");
        Assert.True(applied == 0, appliedOutput);
        // Two statements ran (table, index); the grants are an administrator's.
        Assert.Contains("source orders: set up (2 statements applied; 1 for an administrator, shown by `relay setup`).", appliedOutput);
        Assert.Equal(1L, await TableCountAsync(db));
        var (again, againOutput) = await RunAsync(env, "setup", "--apply");
        Assert.True(again == 0, againOutput); // idempotent

        var (ok, okOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(ok == 0, okOutput);
        Assert.Contains("Every server is reachable and set up.", okOutput);

        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}')");
        using (var relay = RelayProcess.Start(env))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.CountAsync() > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await db.CountAsync() == 0, relay.Output);
        }
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        Assert.Equal(1, await mux.GetDatabase().StreamLengthAsync(prefix + ".order"));
        await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
    }

    [Fact]
    public async Task Binlog_setup_creates_the_outbox_validate_passes_and_the_relay_streams_its_rows()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-mycli-" + Guid.NewGuid().ToString("N")[..8];
        var env = RelayProcess.SourceToRedis("MySqlBinlog", db.ConnectionString, redis, prefix);
        env["Relay__Sources__orders__ServerId"] = Random.Shared.Next(10_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Relay__Sources__orders__StatusInterval"] = "00:00:00.200";

        var (missing, missingOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(missing == 3, missingOutput);
        Assert.Contains("does not exist", missingOutput);
        Assert.Contains("relay setup --apply --source orders", missingOutput);

        var (applied, appliedOutput) = await RunAsync(env, "setup", "--apply");
        Assert.True(applied == 0, appliedOutput);
        Assert.Equal(1L, await TableCountAsync(db));
        var (ok, okOutput) = await RunAsync(env, "validate", "--connect");
        Assert.True(ok == 0, okOutput);

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var redisDb = mux.GetDatabase();
        using (var relay = RelayProcess.Start(env))
        {
            // A binlog source publishes what commits after its first start, which commits its position at once.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await redisDb.HashExistsAsync(prefix + ":offsets", "orders") && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await redisDb.HashExistsAsync(prefix + ":offsets", "orders"), relay.Output);
            await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}'), ('order', '2', 'Created', '{}')");
            while (await redisDb.StreamLengthAsync(prefix + ".order") < 2 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(100);
            Assert.True(await redisDb.StreamLengthAsync(prefix + ".order") == 2, relay.Output);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        await redisDb.KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
    }

    private static Task<long> TableCountAsync(MySqlDatabase db) =>
        db.ScalarAsync<long>($"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.Name}' AND TABLE_NAME = 'outbox'");
}
