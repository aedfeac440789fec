using System.Text.Json;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.MySql.Binlog;
using Relay.Tests.Sources.Polling;

namespace Relay.Tests.Sources.MySql;

/// <summary>
/// Binlog tailing and polling against a real MySQL 8 (caching_sha2_password, COM_BINLOG_DUMP_GTID, v2 row events,
/// binary JSON, uuid:interval GTIDs). Needs RELAY_TEST_MYSQL8 or a Docker engine: here only MariaDB can be installed,
/// and the byte-vector tests of the protocol and event modules are the nearest proof that runs.
/// </summary>
public sealed class MySql8Tests
{
    private const string Why = "Needs a MySQL 8 server: set RELAY_TEST_MYSQL8 to its connection string (binlog ROW, FULL row metadata, GTIDs on) " +
                               "or run where Docker is reachable. Only MariaDB is installable here; MySQL 8's paths are covered by documented byte vectors.";

    private static async Task<MySqlDatabase> DatabaseAsync()
    {
        var server = await TestServers.MySql8Async();
        Skip.If(server is null, Why);
        var db = await MySqlDatabase.CreateOnAsync(server!);
        await db.CreateOutboxAsync();
        return db;
    }

    [SkippableFact]
    public async Task Binlog_tailing_streams_binary_json_and_resumes_by_GTID_set()
    {
        await using var db = await DatabaseAsync();
        SourcePosition committed;
        await using (var reader = await BinlogTestKit.StartAsync(db.ConnectionString))
        {
            await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'a', 'T', '{\"n\": 1, \"tags\": [true, null, 2.5]}')");
            var batch = await reader.NextAsync();
            var row = Assert.Single(batch.Rows);
            var payload = JsonDocument.Parse((string)row["payload"]!).RootElement;
            Assert.Equal(1, payload.GetProperty("n").GetInt32());
            Assert.Equal(3, payload.GetProperty("tags").GetArrayLength());
            var position = BinlogTestKit.Position(batch);
            Assert.False(position.IsMariaDb);
            Assert.Matches("^[0-9a-f-]{36}:1-[0-9]+$", position.Gtids);
            committed = batch.Position;
        }
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'b', 'T', '{\"n\": 2}')");
        await using var resumed = await BinlogTestKit.StartAsync(db.ConnectionString, committed: committed);
        Assert.Equal(["b"], (await resumed.NextAsync()).Rows.Select(r => (string)r["aggregateid"]!));
    }

    [SkippableFact]
    public async Task Polling_publishes_and_deletes_on_MySql_8()
    {
        await using var db = await DatabaseAsync();
        await db.InsertAsync("a", 1);
        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal("a", Assert.Single(batch.Rows)["aggregateid"]);
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None);
        }
        Assert.Equal(0, await db.CountAsync());
    }
}
