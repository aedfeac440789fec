using System.Text.Json;
using MySqlConnector;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>Binlog tailing against the shared MariaDB: what it publishes, in which batches, and how it resumes.</summary>
public sealed class MySqlBinlogSourceTests
{
    private static int N(OutboxRow row) => JsonDocument.Parse(Text(row, "payload")).RootElement.GetProperty("n").GetInt32();

    [Fact]
    public async Task A_first_start_commits_where_the_binlog_stands_then_publishes_each_transaction_once_in_commit_order()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await InsertAsync(db, 2, "before-"); // committed before the first start: not published
        var source = Create(db.ConnectionString);
        await source.AcquireAsync(CancellationToken.None);
        await using var reader = new SourceReader(source, null);
        var start = Position(await reader.NextIdleAsync(_ => true));
        Assert.True(start.Complete);
        Assert.True(start.IsMariaDb);

        await db.ExecuteAsync("CREATE TABLE other (id INT PRIMARY KEY, note TEXT)");
        await db.ExecuteAsync("""
            START TRANSACTION;
            INSERT INTO other VALUES (1, 'x');
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent)
              VALUES ('order', '42', 'OrderCreated', '{"n": 1}', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
            INSERT INTO other VALUES (2, 'y');
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '43', 'OrderCreated', NULL);
            COMMIT;
            """);
        await InsertAsync(db, 3, "b");

        var first = await reader.NextAsync();
        Assert.Equal(["42", "43"], first.Rows.Select(r => Text(r, "aggregateid")));
        var row = first.Rows[0];
        Assert.Matches("^[0-9a-f-]{36}$", Text(row, "id"));
        Assert.Equal("3", row["seq"]); // after the two rows written before the first start
        Assert.Equal("OrderCreated", row["type"]);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", row["traceparent"]);
        Assert.Equal(1, N(row));
        Assert.Null(first.Rows[1]["payload"]);
        Assert.Equal(["id", "seq", "aggregatetype", "aggregateid", "type", "payload", "traceparent"], row.Columns.Names);
        Assert.NotNull(first.CommitTime);

        var second = await reader.NextAsync();
        Assert.Equal(["b1", "b2", "b3"], second.Rows.Select(r => Text(r, "aggregateid")));
        Assert.True(Position(second).CompareTo(Position(first)) > 0);
        Assert.True(Position(first).CompareTo(start) > 0);
        Assert.Matches(@"^0-1-\d+$", Position(second).Gtids);
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task A_large_transaction_comes_in_chunks_and_a_restart_skips_exactly_what_the_committed_position_covers()
    {
        var settings = new Dictionary<string, string?> { ["MaxBatchRows"] = "10" };
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var all = new List<SourceBatch>();
        await using (var reader = await StartAsync(db.ConnectionString, settings))
        {
            await InsertAsync(db, 3, "one-");
            await InsertAsync(db, 25, "two-");
            await InsertAsync(db, 2, "three-");
            for (var i = 0; i < 5; i++) all.Add(await reader.NextAsync());
        }
        Assert.Equal([3, 10, 10, 5, 2], all.Select(b => b.Rows.Count));
        Assert.False(Position(all[1]).Complete);
        Assert.Equal(20, Position(all[2]).RowsDone); // the second chunk ends 20 rows in
        Assert.True(Position(all[3]).Complete);

        async Task<List<string>> ResumeAsync(SourcePosition committed, int batches)
        {
            await using var reader = await StartAsync(db.ConnectionString, settings, committed);
            var ids = new List<string>();
            for (var i = 0; i < batches; i++) ids.AddRange((await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
            await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
            return ids;
        }

        Assert.Equal(Enumerable.Range(1, 25).Select(i => "two-" + i).Append("three-1").Append("three-2"), await ResumeAsync(all[0].Position, 4));
        Assert.Equal(Enumerable.Range(21, 5).Select(i => "two-" + i).Append("three-1").Append("three-2"), await ResumeAsync(all[2].Position, 2));
        Assert.Equal(["three-1", "three-2"], await ResumeAsync(all[3].Position, 1));
        await using var atEnd = await StartAsync(db.ConnectionString, settings, all[4].Position);
        await atEnd.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Rotating_binlog_files_mid_stream_loses_nothing_and_a_restart_resumes_in_the_new_file()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        SourcePosition committed;
        await using (var reader = await StartAsync(db.ConnectionString))
        {
            await InsertAsync(db, 1, "a");
            var before = Position(await reader.NextAsync());
            await db.ExecuteAsync("FLUSH BINARY LOGS");
            await InsertAsync(db, 1, "b");
            var after = await reader.NextAsync();
            Assert.Equal(["b1"], after.Rows.Select(r => Text(r, "aggregateid")));
            Assert.True(Relay.Sources.MySql.Binlog.BinlogPosition.CompareFiles(Position(after).File, before.File) > 0, "the position moved to the new file");
            committed = after.Position;
        }
        await db.ExecuteAsync("FLUSH BINARY LOGS");
        await InsertAsync(db, 1, "c");
        await using var resumed = await StartAsync(db.ConnectionString, committed: committed);
        Assert.Equal(["c1"], (await resumed.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task A_column_added_to_the_outbox_mid_stream_appears_in_the_rows_after_it()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var reader = await StartAsync(db.ConnectionString);
        await InsertAsync(db, 1, "before");
        Assert.False((await reader.NextAsync()).Rows[0].HasColumn("tenant"));

        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN tenant VARCHAR(40) NULL AFTER aggregateid");
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, tenant, type, payload) VALUES ('order', 'after', 'acme', 'T', '{\"n\": 2}')");
        var row = Assert.Single((await reader.NextAsync()).Rows);
        Assert.Equal("acme", row["tenant"]);
        Assert.Equal("after", row["aggregateid"]);
        Assert.Equal(2, N(row));
    }

    [Fact]
    public async Task While_the_outbox_is_idle_on_a_busy_server_the_position_moves_on_without_rows()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("CREATE TABLE busy (id BIGINT AUTO_INCREMENT PRIMARY KEY, filler TEXT)");
        await using var reader = await StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["StatusInterval"] = "00:00:00.200" });
        await InsertAsync(db, 1);
        var batch = Position(await reader.NextAsync());

        for (var i = 0; i < 5; i++) await db.ExecuteAsync("INSERT INTO busy (filler) VALUES (REPEAT('x', 200))");
        var idle = Position(await reader.NextIdleAsync(p => Relay.Sources.MySql.Binlog.BinlogPosition.TryParse(p.Value, out var b) && b.CompareTo(batch) > 0));
        Assert.True(idle.Complete);
        Assert.NotEqual(batch.Gtids, idle.Gtids); // the busy table's transactions are behind it

        // A quiet binlog, longer than the read timeout (3 × the 0.5 s heartbeat): heartbeats keep the stream alive,
        // and nothing was skipped — a row written now still arrives.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await InsertAsync(db, 1, "after-idle-");
        Assert.Equal(["after-idle-1"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
    }

    [Fact]
    public async Task Many_tables_written_in_the_same_transactions_yield_only_the_outbox_rows()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.CreateOutboxAsync("outbox_archive"); // the same shape, another name
        for (var t = 0; t < 5; t++) await db.ExecuteAsync($"CREATE TABLE t{t} (id INT PRIMARY KEY, v TEXT)");
        await using var reader = await StartAsync(db.ConnectionString);
        for (var i = 0; i < 20; i++)
        {
            var others = string.Join(" ", Enumerable.Range(0, 5).Select(t => $"INSERT INTO t{t} VALUES ({i}, 'v');"));
            await db.ExecuteAsync($"START TRANSACTION; {others} INSERT INTO outbox_archive (aggregatetype, aggregateid, type) VALUES ('x', 'archived', 'T'); " +
                                  $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'o{i}', 'T', '{{\"n\": {i}}}'); COMMIT;");
        }
        var seen = new List<string>();
        while (seen.Count < 20) seen.AddRange((await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => "o" + i), seen);
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task A_user_logging_in_with_ed25519_tails_the_binlog()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var user = "ed_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE USER '{user}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('s3cret-Ed'); " +
                              $"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{user}'@'%'; GRANT SELECT ON {db.Name}.* TO '{user}'@'%';");
        try
        {
            var cs = new MySqlConnectionStringBuilder(db.ConnectionString) { UserID = user, Password = "s3cret-Ed" }.ConnectionString;
            await using var reader = await StartAsync(cs);
            await InsertAsync(db, 2, "ed");
            Assert.Equal(["ed1", "ed2"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        }
        finally
        {
            await db.ExecuteAsync($"DROP USER '{user}'@'%'");
        }
    }

    [Fact]
    public async Task Missing_binlog_rights_are_fatal_naming_the_grant()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var user = "norepl_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON {db.Name}.* TO '{user}'@'%';");
        try
        {
            var cs = new MySqlConnectionStringBuilder(db.ConnectionString) { UserID = user, Password = "pw" }.ConnectionString;
            var source = Create(cs);
            await source.AcquireAsync(CancellationToken.None);
            await using var reader = new SourceReader(source, null);
            var e = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
            Assert.Contains("BINLOG MONITOR", e.Message);
            Assert.Contains($"TO '{user}'@'%'", e.Message);
            Assert.DoesNotContain("pw;", e.Message);
        }
        finally
        {
            await db.ExecuteAsync($"DROP USER '{user}'@'%'");
        }
    }

    [Fact]
    public async Task Two_sources_with_one_server_id_fail_naming_the_key_and_are_retried()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var settings = new Dictionary<string, string?> { ["ServerId"] = Random.Shared.Next(10_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await using var first = await StartAsync(db.ConnectionString, settings);
        var second = Create(db.ConnectionString, settings, name: "other");
        await second.AcquireAsync(CancellationToken.None);
        await using var secondReader = new SourceReader(second, null);
        var failures = await Task.WhenAny(first.FailureAsync(), secondReader.FailureAsync());
        // The server ends one of the two dumps: an error naming the key, which the pipeline retries (never a silent end).
        var e = Assert.IsType<IOException>(await failures);
        Assert.Contains("ServerId (environment variable Relay__Sources__", e.Message);
    }
}
