using System.Net;
using MySqlConnector;
using Relay.Tests.Crash;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// What binlog tailing cannot publish faithfully stops the source with a named reason instead of publishing wrong
/// rows or retrying forever: a row logged without some columns, a value it cannot decode. And MariaDB's UUID column
/// goes out as the text SELECT prints.
/// </summary>
public sealed class BinlogStopsLoudlyTests
{
    private static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<SourceReader> StartAsync(MySqlDatabase db)
    {
        var source = Create(db.ConnectionString, name: Unique("loud"));
        await source.AcquireAsync(CancellationToken.None).WaitAsync(SourceReader.Wait);
        var reader = new SourceReader(source, null);
        await reader.NextIdleAsync(_ => true); // the first start's position
        return reader;
    }

    [Fact]
    public async Task A_row_logged_with_a_minimal_row_image_stops_the_source_naming_the_table_columns_position_and_remedy()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var reader = await StartAsync(db);

        await InsertAsync(db, 1, "full-");
        // The writer's session only (the server's binlog_row_image stays FULL): the test role may set it.
        await db.ExecuteAsync("SET SESSION binlog_row_image = MINIMAL; " +
                              "INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'minimal', 'Created', '{\"n\": 2}')");

        var first = await reader.NextAsync();
        Assert.Equal(["full-1"], first.Rows.Select(r => Text(r, "aggregateid")));
        var e = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
        Assert.Contains($"{db.Name}.outbox", e.Message);
        // MariaDB logs the columns the INSERT set and those it filled itself (the id default, the auto-increment).
        Assert.Contains("without the columns traceparent, so they would be published as NULL", e.Message);
        Assert.Matches(@"at mysql-bin\.\d+:\d+ ", e.Message);
        Assert.Contains("binlog_row_image = FULL", e.Message);
    }

    [Fact]
    public async Task An_incident_the_server_logs_stops_the_source_naming_it_the_position_and_the_remedy()
    {
        // A non-transactional change the statement cache cannot hold is applied but not logged: MariaDB writes an
        // INCIDENT (LOST_EVENTS) so replicas stop. The cache limit is global, hence a private server.
        await using var server = await MariaDbInstance.StartAsync("--max-binlog-stmt-cache-size=4096", "--binlog-stmt-cache-size=4096");
        var cs = await PrepareAsync(server);
        await server.ExecuteAsync("CREATE TABLE shop.notes (id INT PRIMARY KEY, body LONGTEXT) ENGINE=MyISAM");
        var source = Create(cs, name: Unique("incident"));
        await source.AcquireAsync(CancellationToken.None).WaitAsync(SourceReader.Wait);
        await using var reader = new SourceReader(source, null);
        await reader.NextIdleAsync(_ => true);

        await InsertAsync(cs, 1, "before-");
        var refused = await Assert.ThrowsAsync<MySqlException>(() => server.ExecuteAsync("INSERT INTO shop.notes VALUES (1, REPEAT('x', 20000))"));
        Assert.Contains("max_binlog_stmt_cache_size", refused.Message);
        await InsertAsync(cs, 1, "after-");

        var first = await reader.NextAsync();
        Assert.Equal(["before-1"], first.Rows.Select(r => Text(r, "aggregateid")));
        var e = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
        Assert.Contains("INCIDENT (LOST_EVENTS", e.Message);
        Assert.Matches(@"at mysql-bin\.\d+:\d+:", e.Message);
        Assert.Contains("Relay offsets reset --source", e.Message);
    }

    [Fact]
    public async Task A_column_of_a_charset_it_cannot_decode_stops_the_source_instead_of_retrying()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN note VARCHAR(20) CHARACTER SET sjis");
        await using var reader = await StartAsync(db);

        await InsertAsync(db, 1, "before-");
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, note) VALUES ('order', 'sjis', 'Created', '日本')");

        var e = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
        Assert.Contains("cannot decode the binlog", e.Message);
        Assert.Contains("'note'", e.Message);
        Assert.Contains("sjis", e.Message);
        Assert.Matches(@"mysql-bin\.\d+:\d+", e.Message);
    }

    [Fact]
    public async Task A_mariadb_uuid_column_is_published_as_the_text_select_prints()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("""
            CREATE TABLE outbox (
              id UUID NOT NULL PRIMARY KEY DEFAULT (UUID()),
              aggregatetype VARCHAR(255) NOT NULL, aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL,
              payload JSON, origin INET6) ENGINE=InnoDB
            """);
        await using var reader = await StartAsync(db);
        await db.ExecuteAsync("""
            INSERT INTO outbox (id, aggregatetype, aggregateid, type, origin) VALUES
              ('123E4567-E89B-12D3-A456-426655440000', 'order', 'a', 'Created', '2001:db8::1'),
              ('00112233-4455-6677-8899-aabbccddee00', 'order', 'b', 'Created', NULL)
            """);

        var batch = await reader.NextAsync();
        Assert.Equal(["123e4567-e89b-12d3-a456-426655440000", "00112233-4455-6677-8899-aabbccddee00"], batch.Rows.Select(r => Text(r, "id")));
        Assert.Equal("2001:db8::1", Text(batch.Rows[0], "origin"));
        Assert.Null(batch.Rows[1]["origin"]);
        var selected = await db.ScalarAsync<string>("SELECT GROUP_CONCAT(CAST(id AS CHAR) ORDER BY aggregateid) FROM outbox");
        Assert.Equal(selected, string.Join(",", batch.Rows.Select(r => Text(r, "id"))));
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task An_undecodable_event_marks_the_source_failed_on_readyz_with_its_error_and_counts_it()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN note VARCHAR(20) CHARACTER SET sjis");
        var redis = await TestServers.RedisAsync();
        var prefix = Unique("relay-undecodable");
        var port = LocalHost.FreePort();
        var env = RelayHttp.Environment(port);
        env["Relay__Sources__bad__Kind"] = "MySqlBinlog";
        env["Relay__Sources__bad__ConnectionString"] = db.ConnectionString;
        env["Relay__Sources__bad__ServerId"] = Random.Shared.Next(10_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Relay__Sources__bad__HeartbeatInterval"] = "00:00:01";
        env["Relay__Sources__bad__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}";
        // A second source that keeps running, so the relay stays up to be asked (one failed source of one would exit 1).
        env["Relay__Sources__good__Kind"] = "MySqlPolling";
        env["Relay__Sources__good__ConnectionString"] = db.ConnectionString;
        env["Relay__Sources__good__PollInterval"] = "00:00:00.2";
        env["Relay__Sources__good__Outbox__TopicTemplate"] = prefix + "-good.{aggregatetype}";
        env["Relay__Sinks__main__Kind"] = "Redis";
        env["Relay__Sinks__main__Configuration"] = redis;
        env["Relay__Sinks__main__KeyPrefix"] = prefix + ":";
        using var http = new RelayHttp(port);
        using var relay = RelayProcess.Start(env);
        try
        {
            await http.WaitForReadinessAsync(relay, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, "bad") == "streaming" &&
                                                                      RelayHttp.StateOf(json, "good") == "streaming");
            // Streaming is reported before the first start has read where the binlog stands: a row committed earlier
            // would be before the start. The source logs its start once the dump runs.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!relay.Output.Contains("Source bad: reading the binlog", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline && !relay.HasExited, relay.Output);
                await Task.Delay(50);
            }
            await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, note) VALUES ('order', 'sjis', 'Created', '日本')");

            var body = await http.WaitForReadinessAsync(relay, (_, json) => RelayHttp.StateOf(json, "bad") == "failed");
            var lastError = body.GetProperty("sources").GetProperty("bad").GetProperty("lastError").GetString();
            Assert.Contains("cannot decode the binlog", lastError);
            Assert.Contains("sjis", lastError);
            var (_, metrics) = await http.GetAsync("/metrics");
            Assert.Matches("relay_errors_total\\{[^}]*error_type=\"RelayFatalException\"[^}]*source=\"bad\"[^}]*\\} 1", metrics);
            Assert.DoesNotMatch("relay_pipeline_restarts_total\\{[^}]*source=\"bad\"", metrics); // stopped, not retried
            Assert.False(relay.HasExited);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis);
            var keys = mux.GetServers()[0].Keys(pattern: prefix + "*").ToArray();
            if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
        }
    }
}
