using System.Net;
using Npgsql;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Sources.Postgres.Replication;

/// <summary>
/// A replication slot that loses WAL the relay had not read (invalidated by max_slot_wal_keep_size) or that is
/// dropped under it stops its source for good, with an error naming the slot and the remedy, and /readyz says
/// failed: never an endless silent retry, and never a new slot that skips the WAL in between. A second source
/// (polling another table) keeps the process up, so /readyz can be read after the slot's source failed.
/// </summary>
public sealed class SlotLossTests
{
    private static Dictionary<string, string> RelayEnvironment(string connectionString, string slot, string redis, string prefix, int port)
    {
        var env = RelayHttp.Environment(port);
        foreach (var (key, value) in RelayProcess.SourceToRedis("PostgresReplication", connectionString, redis, prefix)) env[key] = value;
        env["Relay__Sources__orders__Slot"] = slot;
        env["Relay__Sources__orders__StatusInterval"] = "00:00:00.5";
        env["Relay__Sources__other__Kind"] = "PostgresPolling";
        env["Relay__Sources__other__ConnectionString"] = connectionString;
        env["Relay__Sources__other__Outbox__Table"] = "public.other_outbox";
        env["Relay__Sources__other__Outbox__TopicTemplate"] = prefix + ".other";
        env["Relay__Sources__other__Sink"] = "main";
        return env;
    }

    [Fact]
    public async Task A_slot_dropped_mid_stream_stops_the_source_with_the_remedy_and_is_not_created_again()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.CreateOutboxAsync("other_outbox");
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-slotdrop-" + Guid.NewGuid().ToString("N")[..8];
        var slot = prefix.Replace('-', '_');
        var port = LocalHost.FreePort();
        using var http = new RelayHttp(port);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        using var relay = RelayProcess.Start(RelayEnvironment(db.ConnectionString, slot, redis, prefix, port));
        try
        {
            await db.WaitForSlotStreamingAsync(slot, () => relay.HasExited ? relay.Output : null);
            await db.InsertAsync("o1", 1);
            await relay.WaitForStreamAsync(mux, prefix + ".order", 1, seconds: 60);

            // The slot can only be dropped while no walsender holds it: end the relay's, then drop it before the relay's
            // retry takes the slot again (a retry that wins the race is ended again).
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, "Could not drop the slot within 60 s:\n" + relay.Output);
                await db.ExecuteAsync($"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{slot}' AND active_pid IS NOT NULL");
                try
                {
                    await db.ExecuteAsync($"SELECT pg_drop_replication_slot('{slot}')");
                    break;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
                {
                }
            }
            await db.InsertAsync("o2", 2); // written while no slot exists: no new slot may skip it silently

            var body = await http.WaitForReadinessAsync(relay, (_, json) => RelayHttp.StateOf(json, "orders") == "failed");
            var error = body.GetProperty("sources").GetProperty("orders").GetProperty("lastError").GetString()!;
            Assert.Contains($"replication slot {slot} does not exist", error);
            Assert.Contains("Relay offsets reset --source orders --delete", error);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.ReadinessAsync()).Status);
            Assert.Equal("streaming", RelayHttp.StateOf(body, "other"));
            Assert.Contains($"Source orders cannot run and is marked failed", relay.Output);

            // Failed for good: no retry creates the slot again, and the other source keeps publishing.
            await db.InsertAsync("x1", 1, "other_outbox");
            await relay.WaitForStreamAsync(mux, prefix + ".other", 1, seconds: 60);
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"));
            Assert.Equal("failed", RelayHttp.StateOf((await http.ReadinessAsync()).Body, "orders"));
            Assert.Equal(1, await mux.GetDatabase().StreamLengthAsync(prefix + ".order"));
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}.other", $"{prefix}:offsets", $"{prefix}:epoch:orders", $"{prefix}:epoch:other"]);
        }
    }

    [Fact]
    public async Task A_slot_invalidated_by_max_slot_wal_keep_size_stops_the_source_with_the_remedy()
    {
        // A cluster of its own: the smallest max_slot_wal_keep_size, and WAL switched on purpose.
        await using var server = await PostgresInstance.StartAsync("max_slot_wal_keep_size = 1MB", "max_wal_size = 32MB", "min_wal_size = 32MB");
        var connectionString = await server.CreateDatabaseAsync();
        foreach (var table in new[] { "outbox", "other_outbox" })
        {
            await server.ExecuteAsync($"""
                CREATE TABLE {table} (
                  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), seq bigint GENERATED ALWAYS AS IDENTITY,
                  aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, payload jsonb, traceparent text);
                CREATE INDEX ON {table} (seq);
                """, connectionString);
        }
        async Task InsertAsync(string id, string table = "outbox") => await server.ExecuteAsync(
            $"INSERT INTO {table} (aggregatetype, aggregateid, type, payload) VALUES ('order', '{id}', 'Created', '{{}}')", connectionString);

        var redis = await TestServers.RedisAsync();
        var prefix = "relay-slotlost-" + Guid.NewGuid().ToString("N")[..8];
        var slot = prefix.Replace('-', '_');
        var port = LocalHost.FreePort();
        var env = RelayEnvironment(connectionString, slot, redis, prefix, port);
        using var http = new RelayHttp(port);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        try
        {
            using (var relay = RelayProcess.Start(env))
            {
                // Log tailing publishes what commits once its slot has reached its consistent point.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await server.ScalarAsync($"SELECT 1 FROM pg_replication_slots WHERE slot_name = '{slot}' AND active AND confirmed_flush_lsn IS NOT NULL") is null)
                {
                    Assert.False(relay.HasExited, $"The relay exited:\n{relay.Output}");
                    Assert.True(DateTime.UtcNow < deadline, $"Slot {slot} was not ready within 60 s:\n{relay.Output}");
                    await Task.Delay(50);
                }
                await InsertAsync("o1");
                await relay.WaitForStreamAsync(mux, prefix + ".order", 1, seconds: 60);
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
            }

            // While the relay is down: a row, then more WAL than the slot may keep, and a checkpoint that gives it up.
            await InsertAsync("o2");
            for (var i = 0; i < 4; i++)
                await server.ExecuteAsync("CREATE TABLE IF NOT EXISTS filler (n int); INSERT INTO filler SELECT generate_series(1, 1000); SELECT pg_switch_wal();", connectionString);
            await server.ExecuteAsync("CHECKPOINT");
            Assert.Equal("lost", await server.ScalarAsync($"SELECT wal_status FROM pg_replication_slots WHERE slot_name = '{slot}'"));

            using (var relay = RelayProcess.Start(env))
            {
                var body = await http.WaitForReadinessAsync(relay, (_, json) => RelayHttp.StateOf(json, "orders") == "failed");
                var error = body.GetProperty("sources").GetProperty("orders").GetProperty("lastError").GetString()!;
                Assert.Contains($"replication slot {slot} has lost WAL", error);
                Assert.Contains("max_slot_wal_keep_size", error);
                Assert.Contains($"pg_drop_replication_slot('{slot}')", error);
                Assert.Contains("Relay offsets reset --source orders --delete", error);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.ReadinessAsync()).Status);

                // Failed for good while the process runs on: the other source still publishes, the lost slot stays as it is.
                await InsertAsync("x1", "other_outbox");
                await relay.WaitForStreamAsync(mux, prefix + ".other", 1, seconds: 60);
                Assert.Equal("failed", RelayHttp.StateOf((await http.ReadinessAsync()).Body, "orders"));
                Assert.Equal("lost", await server.ScalarAsync($"SELECT wal_status FROM pg_replication_slots WHERE slot_name = '{slot}'"));
                Assert.Equal(1, await mux.GetDatabase().StreamLengthAsync(prefix + ".order"));
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
            }
        }
        finally
        {
            await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}.other", $"{prefix}:offsets", $"{prefix}:epoch:orders", $"{prefix}:epoch:other"]);
        }
    }
}
