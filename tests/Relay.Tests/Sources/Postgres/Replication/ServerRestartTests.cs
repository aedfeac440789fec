using Npgsql;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Sources.Postgres.Replication;

/// <summary>
/// What a PostgreSQL server does under a relay that streams from it: a clean restart ends the walsender, and a crash
/// (an immediate stop) also sets the slot back to its last checkpoint, so the server streams again transactions the
/// sink already has. Either way every committed row is published once, in commit order, while writers go on.
/// </summary>
public sealed class ServerRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_clean_restart_and_a_crash_of_the_server_mid_stream_publish_every_committed_row_once_in_commit_order()
    {
        await using var server = await PostgresInstance.StartAsync();
        await using var db = await PostgresDatabase.CreateOnAsync(server.AdminConnectionString);
        await db.CreateOutboxAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-pgrestart-" + Guid.NewGuid().ToString("N")[..8];
        var slot = prefix.Replace('-', '_');
        var env = RelayProcess.SourceToRedis("PostgresReplication", db.ConnectionString, redis, prefix);
        env["Relay__Sources__orders__Slot"] = slot;
        env["Relay__Sources__orders__StatusInterval"] = "00:00:00.5";
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var stream = prefix + ".order";
        using var relay = RelayProcess.Start(env);
        using var stopWriting = new CancellationTokenSource();
        Task<int>? writing = null;
        try
        {
            await db.WaitForSlotStreamingAsync(slot, () => relay.HasExited ? relay.Output : null);
            // One writer, single-row transactions: commit order is the order of seq. An insert cut off by the restart
            // may or may not have committed; the table says which, so it is simply tried again as a new row.
            writing = Task.Run(async () =>
            {
                var failures = 0;
                for (var n = 0; !stopWriting.IsCancellationRequested; n++)
                {
                    try { await db.InsertAsync("a" + n % 7, n); }
                    catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
                    {
                        failures++;
                        await Task.Delay(100);
                    }
                }
                return failures;
            });

            await relay.WaitForStreamAsync(mux, stream, 100);
            await server.RestartAsync(crash: false);
            var afterRestart = await mux.GetDatabase().StreamLengthAsync(stream);
            await relay.WaitForStreamAsync(mux, stream, afterRestart + 100);
            // The crash sets the slot back to what was last saved of it (the shutdown checkpoint, or the last time its
            // restart point moved), so the server may stream again transactions the sink already has.
            await server.RestartAsync(crash: true);
            var afterCrash = await mux.GetDatabase().StreamLengthAsync(stream);
            await relay.WaitForStreamAsync(mux, stream, afterCrash + 100);
        }
        finally
        {
            await stopWriting.CancelAsync();
            if (writing is not null) output.WriteLine($"inserts that failed across the restarts: {await writing}");
        }

        var committed = new List<string>();
        await using (var conn = new NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT id::text FROM outbox ORDER BY seq", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) committed.Add(reader.GetString(0));
        }
        await relay.WaitForStreamAsync(mux, stream, committed.Count);
        // A moment more, for anything published twice to show.
        await Task.Delay(1000);
        var published = (await mux.GetDatabase().StreamRangeAsync(stream)).Select(e => (string)e[RedisSink.HeaderFieldPrefix + "id"]!).ToList();
        output.WriteLine($"{committed.Count} rows committed, {published.Count} messages published");
        Assert.False(relay.HasExited, "the relay exited:\n" + relay.Output);
        Assert.Equal(committed, published);
    }
}
