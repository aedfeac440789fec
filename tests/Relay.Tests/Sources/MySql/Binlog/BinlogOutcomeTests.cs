using MySqlConnector;
using Relay.Sources.MySql.Binlog;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// What the binlog says became of a transaction decides what is published, as applications write it: XA branches
/// (published at their XA COMMIT, in its order, across restarts and rotations), savepoints and rollbacks that reach the
/// log because a non-transactional table (MyISAM, a temporary table) took part. Every test asserts the exact batches.
/// </summary>
public sealed class BinlogOutcomeTests
{
    private static string Xid() => "relay-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Rolls back the branches a failed test left prepared: XA ids are server-wide, and a prepared branch holds its locks
    /// (dropping the test database would wait on it). Declared after the database, so it goes first.
    /// </summary>
    private sealed class Branches(MySqlDatabase db, params string[] xids) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var xid in xids)
            {
                try { await db.ExecuteAsync($"XA ROLLBACK '{xid}'"); }
                catch (MySqlException) { } // decided already, as the test meant
            }
        }
    }

    private static string Row(string id) => $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '{id}', 'Created', '{{}}')";

    private static string Rows(params string[] ids) =>
        "INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES " + string.Join(", ", ids.Select(id => $"('order', '{id}', 'Created', '{{}}')"));

    /// <summary>
    /// XA START … XA PREPARE on a connection of its own, closed then: the branch outlives it (MariaDB 10.5+), detached and
    /// waiting for its decision from any session. (A pooled connection would keep it attached to its idle session.)
    /// </summary>
    private static async Task PrepareAsync(MySqlDatabase db, string xid, params string[] ids)
    {
        await using var conn = new MySqlConnection(new MySqlConnectionStringBuilder(db.ConnectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using (var cmd = new MySqlCommand($"XA START '{xid}'; {Rows(ids)}; XA END '{xid}'; XA PREPARE '{xid}'", conn))
            await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// XA COMMIT or XA ROLLBACK from another session. The server detaches a branch once it has seen its session go; until
    /// then the branch is unknown to others (XAER_NOTA), so the decision is repeated until the server takes it.
    /// </summary>
    private static async Task DecideAsync(MySqlDatabase db, string statement)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await db.ExecuteAsync(statement);
                return;
            }
            catch (MySqlException e) when (e.Number == 1397 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task<List<string>> NextIdsAsync(SourceReader reader) => (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")).ToList();

    [Fact]
    public async Task XA_branches_are_published_at_their_commit_in_its_order_and_one_phase_commits_in_place_while_rolled_back_ones_never_are()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var reader = await StartAsync(db.ConnectionString);
        string a = Xid(), b = Xid(), c = Xid(), d = Xid();
        await using var branches = new Branches(db, a, b, c, d);

        await PrepareAsync(db, a, "a1");
        await PrepareAsync(db, b, "b1", "b2");
        await db.ExecuteAsync(Row("n1"));
        await DecideAsync(db, $"XA COMMIT '{b}'");
        await db.ExecuteAsync($"XA START '{c}'; {Row("c1")}; XA END '{c}'; XA COMMIT '{c}' ONE PHASE"); // decided in its session
        await PrepareAsync(db, d, "d1");
        await DecideAsync(db, $"XA ROLLBACK '{d}'");
        await DecideAsync(db, $"XA COMMIT '{a}'");
        await db.ExecuteAsync(Row("n2"));

        Assert.Equal(["n1"], await NextIdsAsync(reader));
        Assert.Equal(["b1", "b2"], await NextIdsAsync(reader));
        Assert.Equal(["c1"], await NextIdsAsync(reader));
        Assert.Equal(["a1"], await NextIdsAsync(reader));
        Assert.Equal(["n2"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_prepared_branch_survives_a_restart_and_a_rotation_between_its_prepare_and_its_commit_and_is_published_once()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var p = Xid();
        await using var branches = new Branches(db, p);
        SourcePosition afterN1;
        await using (var reader = await StartAsync(db.ConnectionString))
        {
            await PrepareAsync(db, p, "p1", "p2");
            await db.ExecuteAsync("FLUSH BINARY LOGS");
            await db.ExecuteAsync(Row("n1"));
            var n1 = await reader.NextAsync();
            Assert.Equal(["n1"], n1.Rows.Select(r => Text(r, "aggregateid")));
            var position = Position(n1);
            Assert.NotEqual("", position.ResumeFile); // the undecided branch keeps a restart reading from its prepare
            Assert.True(BinlogPosition.CompareFiles(position.ResumeFile, position.File) < 0, "the prepare is in the file before the rotation");
            afterN1 = n1.Position;
        }

        await db.ExecuteAsync("FLUSH BINARY LOGS");
        await DecideAsync(db, $"XA COMMIT '{p}'");
        await db.ExecuteAsync(Row("n2"));

        SourcePosition afterP;
        await using (var resumed = await StartAsync(db.ConnectionString, committed: afterN1))
        {
            var branch = await resumed.NextAsync();
            Assert.Equal(["p1", "p2"], branch.Rows.Select(r => Text(r, "aggregateid")));
            Assert.Equal("", Position(branch).ResumeFile); // decided: nothing holds a restart back any more
            afterP = branch.Position;
            Assert.Equal(["n2"], await NextIdsAsync(resumed));
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
        }

        // Resuming after the branch's commit publishes it no second time.
        await using var again = await StartAsync(db.ConnectionString, committed: afterP);
        Assert.Equal(["n2"], await NextIdsAsync(again));
        await again.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task A_branch_prepared_before_a_restart_and_decided_while_streaming_across_a_rotation_keeps_its_place()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        string first = Xid(), second = Xid();
        await using var branches = new Branches(db, first, second);
        SourcePosition committed;
        await using (var reader = await StartAsync(db.ConnectionString))
        {
            await PrepareAsync(db, first, "f1");
            await PrepareAsync(db, second, "s1");
            await db.ExecuteAsync(Row("n1"));
            committed = (await reader.NextAsync()).Position;
        }
        // The second branch, prepared later, is decided first; the earlier one holds the restart point.
        await DecideAsync(db, $"XA COMMIT '{second}'");
        await using var resumed = await StartAsync(db.ConnectionString, committed: committed);
        Assert.Equal(["s1"], await NextIdsAsync(resumed));
        await db.ExecuteAsync("FLUSH BINARY LOGS");
        await db.ExecuteAsync(Row("n2"));
        await DecideAsync(db, $"XA COMMIT '{first}'");
        Assert.Equal(["n2"], await NextIdsAsync(resumed));
        Assert.Equal(["f1"], await NextIdsAsync(resumed));
        await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task A_branch_larger_than_a_batch_is_read_again_from_its_prepare_at_its_commit_and_comes_in_chunks()
    {
        var settings = new Dictionary<string, string?> { ["MaxBatchRows"] = "5" };
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var reader = await StartAsync(db.ConnectionString, settings);
        var big = Xid();
        await using var branches = new Branches(db, big);
        var branchIds = Enumerable.Range(1, 12).Select(i => "x" + i).ToArray();
        await PrepareAsync(db, big, branchIds);
        await db.ExecuteAsync(Row("n1"));
        await DecideAsync(db, $"XA COMMIT '{big}'");
        await db.ExecuteAsync(Row("n2"));

        Assert.Equal(["n1"], await NextIdsAsync(reader));
        var chunks = new List<SourceBatch>();
        for (var i = 0; i < 3; i++) chunks.Add(await reader.NextAsync());
        Assert.Equal(branchIds, chunks.SelectMany(b => b.Rows).Select(r => Text(r, "aggregateid")));
        Assert.Equal([5, 5, 2], chunks.Select(b => b.Rows.Count));
        Assert.False(Position(chunks[0]).Complete);
        Assert.True(Position(chunks[2]).Complete);
        Assert.Equal(["n2"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));

        // A restart inside the branch's publication skips the chunk the sink has.
        await using var resumed = await StartAsync(db.ConnectionString, settings, chunks[0].Position);
        Assert.Equal(branchIds[5..10], await NextIdsAsync(resumed));
        Assert.Equal(branchIds[10..], await NextIdsAsync(resumed));
        Assert.Equal(["n2"], await NextIdsAsync(resumed));
        await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }

    [Fact]
    public async Task Rollback_to_a_savepoint_with_a_MyISAM_table_in_the_transaction_publishes_only_the_rows_kept()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("CREATE TABLE audit (id INT) ENGINE=MyISAM");
        await using var reader = await StartAsync(db.ConnectionString);

        // As the issue reports it: everything after the savepoint undone.
        await db.ExecuteAsync($"BEGIN; INSERT INTO audit VALUES (1); SAVEPOINT s; {Row("gone1")}; ROLLBACK TO SAVEPOINT s; COMMIT");
        // Nested savepoints: rolling back to the first undoes what the second guarded too.
        await db.ExecuteAsync($"""
            BEGIN; {Row("k1")}; INSERT INTO audit VALUES (2); SAVEPOINT s1; {Row("gone2")}; SAVEPOINT s2; {Row("gone3")};
            ROLLBACK TO SAVEPOINT s1; {Row("k2")}; SAVEPOINT s2; {Row("k3")}; COMMIT
            """);
        await db.ExecuteAsync(Row("after"));

        Assert.Equal(["k1", "k2", "k3"], await NextIdsAsync(reader));
        Assert.Equal(["after"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_transaction_larger_than_a_batch_with_a_savepoint_rolled_back_is_read_again_and_publishes_only_its_kept_rows()
    {
        var settings = new Dictionary<string, string?> { ["MaxBatchRows"] = "3" };
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("CREATE TABLE audit (id INT) ENGINE=MyISAM");
        await using var reader = await StartAsync(db.ConnectionString, settings);

        await db.ExecuteAsync($"""
            BEGIN; {Rows("k1", "k2")}; INSERT INTO audit VALUES (1); SAVEPOINT s; {Rows("r1", "r2", "r3", "r4")};
            ROLLBACK TO SAVEPOINT s; {Rows("k3", "k4", "k5")}; COMMIT
            """);
        await db.ExecuteAsync(Row("after"));

        var rows = new List<string>();
        while (rows.Count < 5) rows.AddRange(await NextIdsAsync(reader));
        Assert.Equal(["k1", "k2", "k3", "k4", "k5"], rows);
        Assert.Equal(["after"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Rolled_back_transactions_with_a_temporary_or_MyISAM_table_publish_nothing()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("CREATE TABLE audit (id INT) ENGINE=MyISAM");
        await using var reader = await StartAsync(db.ConnectionString);

        await db.ExecuteAsync($"BEGIN; CREATE TEMPORARY TABLE scratch (id INT); {Row("gone1")}; ROLLBACK");
        await db.ExecuteAsync($"BEGIN; {Row("gone2")}; INSERT INTO audit VALUES (1); ROLLBACK");
        await db.ExecuteAsync($"CREATE TEMPORARY TABLE scratch (id INT) ENGINE=MyISAM; BEGIN; INSERT INTO scratch VALUES (1); {Row("gone3")}; ROLLBACK");
        await db.ExecuteAsync(Row("after"));

        Assert.Equal(["after"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Rollback_to_a_savepoint_in_an_InnoDB_only_transaction_publishes_only_the_rows_kept()
    {
        // The server drops the undone rows from its binlog cache: they never reach the log. Asserted all the same.
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var reader = await StartAsync(db.ConnectionString);

        await db.ExecuteAsync($"BEGIN; {Row("k1")}; SAVEPOINT s; {Row("gone")}; ROLLBACK TO SAVEPOINT s; {Row("k2")}; COMMIT");
        await db.ExecuteAsync($"BEGIN; {Row("gone2")}; ROLLBACK");
        await db.ExecuteAsync(Row("after"));

        Assert.Equal(["k1", "k2"], await NextIdsAsync(reader));
        Assert.Equal(["after"], await NextIdsAsync(reader));
        await reader.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }
}
