using System.Net;
using MySqlConnector;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// The relay process, as a user runs it, tailing a private MariaDB into Redis: an XA branch decided after its dump was
/// ended by KILL QUERY comes out once, in its commit's place, and /readyz shows the retry while /healthz stays 200.
/// </summary>
public sealed class BinlogRelayToRedisTests
{
    private static string Row(string id, int n) =>
        $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '{id}', 'Created', '{{\"aggregate\": {n}, \"version\": 1}}')";

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> DumpThreadAsync(MariaDbInstance server, RelayProcess relay)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var id = await server.ScalarAsync("SELECT MAX(ID) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'");
            if (id is not null and not DBNull) return Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture);
            Assert.False(relay.HasExited, $"The relay exited:\n{relay.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"No binlog dump in time:\n{relay.Output}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_XA_branch_and_a_killed_dump_through_the_relay_into_Redis_come_out_exactly_once_in_commit_order()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var redis = await TestServers.RedisAsync();
        var run = "xa-" + Guid.NewGuid().ToString("N")[..8];
        var port = LocalHost.FreePort();
        var env = RelayProcess.SourceToRedis("MySqlBinlog", cs, redis, run);
        env["Relay__Sources__orders__HeartbeatInterval"] = "00:00:01";
        env["Relay__Sources__orders__ServerId"] = Random.Shared.Next(10_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in RelayHttp.Environment(port)) env[key] = value;
        using var relay = RelayProcess.Start(env);
        using var http = new RelayHttp(port);
        await http.WaitForReadinessAsync(relay, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, "orders") == "streaming");
        var dump = await DumpThreadAsync(server, relay); // the dump runs: what commits from now on is the relay's

        await using (var prepare = new MySqlConnection(cs))
        {
            await prepare.OpenAsync();
            await using var cmd = new MySqlCommand($"XA START '{run}'; {Row("x1", 2)}; XA END '{run}'; XA PREPARE '{run}'", prepare);
            await cmd.ExecuteNonQueryAsync();
        }
        await ExecuteAsync(cs, Row("r1", 1));
        await server.ExecuteAsync($"KILL QUERY {dump}");
        var retried = await http.WaitForReadinessAsync(relay, (_, json) =>
            json.GetProperty("sources").GetProperty("orders").TryGetProperty("lastError", out var error) &&
            error.GetString()!.Contains("ended the binlog dump", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).Status);
        // The server detaches the branch once it has seen its session go; until then others get XAER_NOTA (1397).
        var detached = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await ExecuteAsync(cs, $"XA COMMIT '{run}'");
                break;
            }
            catch (MySqlException e) when (e.Number == 1397 && DateTime.UtcNow < detached)
            {
                await Task.Delay(50);
            }
        }
        await ExecuteAsync(cs, Row("r2", 3));

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var stream = mux.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await stream.StreamLengthAsync($"{run}.order") < 3)
        {
            Assert.False(relay.HasExited, $"The relay exited:\n{relay.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"Not all rows arrived ({retried}):\n{relay.Output}");
            await Task.Delay(100);
        }
        await Task.Delay(1000); // room for a duplicate to show
        var keys = (await stream.StreamRangeAsync($"{run}.order")).Select(e => (string)e[RedisSink.KeyField]!).ToList();
        Assert.Equal(["r1", "x1", "r2"], keys);
        await http.WaitForReadinessAsync(relay, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, "orders") == "streaming");
        Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
    }
}
