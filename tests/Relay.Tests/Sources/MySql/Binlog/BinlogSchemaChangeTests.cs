using Relay.Routing;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// DDL mid-stream with binlog_row_metadata=FULL (the shared server's setting): every TABLE_MAP names its columns, so each
/// row is published under the names it was logged with, before and after each ALTER, also when read again after a restart.
/// </summary>
public sealed class BinlogSchemaChangeTests
{
    private const string Source = "schema-full";

    /// <summary>A row as name=value pairs, the random id left out (asserted to be there).</summary>
    internal static string Describe(OutboxRow row)
    {
        Assert.Matches("^[0-9a-f-]{36}$", Text(row, "id"));
        return string.Join(" ", row.Columns.Names.Where(n => n != "id").Select(n => $"{n}={row[n] ?? "NULL"}"));
    }

    private static async Task<List<OutboxRow>> RowsAsync(SourceReader reader, int count)
    {
        var rows = new List<OutboxRow>();
        while (rows.Count < count) rows.AddRange((await reader.NextAsync()).Rows);
        Assert.Equal(count, rows.Count);
        return rows;
    }

    [Fact]
    public async Task Adding_renaming_reordering_and_dropping_outbox_columns_publishes_each_row_under_the_names_it_was_logged_with()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        string[] expected =
        [
            """seq=1 aggregatetype=order aggregateid=a1 type=Created payload={"n": 1} traceparent=NULL""",
            """seq=2 aggregatetype=order aggregateid=b1 tenant=acme type=Created payload={"n": 2} traceparent=NULL""",
            """seq=3 aggregatetype=order aggregateid=c1 tenant=acme kind=Renamed payload={"n": 3} traceparent=NULL""",
            """payload={"n": 4} seq=4 aggregatetype=order aggregateid=d1 tenant=acme kind=Reordered traceparent=NULL""",
            """payload={"n": 5} seq=5 aggregatetype=order aggregateid=e1 kind=Dropped traceparent=NULL""",
        ];
        SourcePosition beforeAlters;
        await using (var reader = await StartAsync(db.ConnectionString, name: Source))
        {
            await InsertAsync(db, 1, "a");
            var first = await reader.NextAsync();
            Assert.Equal([expected[0]], first.Rows.Select(Describe));
            beforeAlters = first.Position;
            await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN tenant VARCHAR(40) NULL AFTER aggregateid");
            await db.ExecuteAsync("""INSERT INTO outbox (aggregatetype, aggregateid, tenant, type, payload) VALUES ('order', 'b1', 'acme', 'Created', '{"n": 2}')""");
            await db.ExecuteAsync("ALTER TABLE outbox RENAME COLUMN type TO kind");
            await db.ExecuteAsync("""INSERT INTO outbox (aggregatetype, aggregateid, tenant, kind, payload) VALUES ('order', 'c1', 'acme', 'Renamed', '{"n": 3}')""");
            await db.ExecuteAsync("ALTER TABLE outbox MODIFY COLUMN payload JSON AFTER id");
            await db.ExecuteAsync("""INSERT INTO outbox (aggregatetype, aggregateid, tenant, kind, payload) VALUES ('order', 'd1', 'acme', 'Reordered', '{"n": 4}')""");
            await db.ExecuteAsync("ALTER TABLE outbox DROP COLUMN tenant");
            await db.ExecuteAsync("""INSERT INTO outbox (aggregatetype, aggregateid, kind, payload) VALUES ('order', 'e1', 'Dropped', '{"n": 5}')""");

            Assert.Equal(expected[1..], (await RowsAsync(reader, 4)).Select(Describe));
            await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
        }

        // Read again after the last ALTER: the names still come from each row's own TABLE_MAP, not from the table as it is now.
        await using var again = await StartAsync(db.ConnectionString, committed: beforeAlters, name: Source);
        var rows = await RowsAsync(again, 4);
        Assert.Equal(expected[1..], rows.Select(Describe));
        await again.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));

        // The mapped column type is gone from the rows after the rename: they are dead letters naming it, the others are messages.
        var router = new OutboxRouter(new OutboxTableOptions(), Source);
        var messages = rows.Select(router.Route).ToList();
        Assert.Equal(["outbox.event.order", "relay.deadletter", "relay.deadletter", "relay.deadletter"], messages.Select(m => m.Topic));
        Assert.All(messages.Skip(1), m => Assert.StartsWith("the row has no column type (Outbox:TypeColumn)",
            System.Text.Encoding.UTF8.GetString(m.Headers.Single(h => h.Key == OutboxRouter.ErrorHeader).Value)));
        Assert.Equal(["b1", "c1", "d1", "e1"], messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Key!)));
    }

    [Fact]
    public async Task DDL_of_other_tables_mid_stream_leaves_the_outbox_rows_as_they_were()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.CreateOutboxAsync("outbox_archive");
        await using var reader = await StartAsync(db.ConnectionString, name: Source + "-others");
        await InsertAsync(db, 1, "a");
        await db.ExecuteAsync("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)");
        await db.ExecuteAsync("INSERT INTO notes VALUES (1, 'x')");
        await InsertAsync(db, 1, "b");
        await db.ExecuteAsync("ALTER TABLE outbox_archive DROP COLUMN traceparent, ADD COLUMN tenant INT FIRST");
        await db.ExecuteAsync("ALTER TABLE notes ADD COLUMN n INT AFTER id, RENAME COLUMN body TO text");
        await db.ExecuteAsync("START TRANSACTION; INSERT INTO notes VALUES (2, 2, 'y'); INSERT INTO outbox_archive (tenant, aggregatetype, aggregateid, type) VALUES (1, 'x', 'archived', 'T'); " +
                              """INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'c1', 'Created', '{"n": 1}'); COMMIT""");
        await db.ExecuteAsync("DROP TABLE notes; TRUNCATE TABLE outbox_archive; CREATE TABLE t2 AS SELECT 1 AS one");
        await InsertAsync(db, 1, "d");

        Assert.Equal(
        [
            """seq=1 aggregatetype=order aggregateid=a1 type=Created payload={"n": 1} traceparent=NULL""",
            """seq=2 aggregatetype=order aggregateid=b1 type=Created payload={"n": 1} traceparent=NULL""",
            """seq=3 aggregatetype=order aggregateid=c1 type=Created payload={"n": 1} traceparent=NULL""",
            """seq=4 aggregatetype=order aggregateid=d1 type=Created payload={"n": 1} traceparent=NULL""",
        ], (await RowsAsync(reader, 4)).Select(Describe));
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
    }
}
