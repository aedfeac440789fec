using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>DDL in the middle of the stream: the QUERY event says what changed and the next TABLE_MAP has the new shape.</summary>
public sealed class SchemaChangeTests
{
    [Fact]
    public async Task Alter_table_add_column_mid_stream_gives_rows_of_the_new_shape()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE outbox (id INT PRIMARY KEY, aggregateid VARCHAR(20) NOT NULL)");
        ServerColumn Id = new("id", "INT", ServerKind.Cast), Aggregate = new("aggregateid", "VARCHAR(20)", ServerKind.Text),
            Trace = new("traceparent", "VARCHAR(55)", ServerKind.Text), Tenant = new("tenant", "INT UNSIGNED", ServerKind.Cast);
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);

        // What SELECT returns right after each insert, before the next DDL changes the table.
        await db.ExecuteAsync("INSERT INTO outbox VALUES (1, 'a-1')");
        var first = await ServerValues.ReadAsync(db.ConnectionString, "outbox", [Id, Aggregate], "id", 1);
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN traceparent VARCHAR(55) NULL");
        await db.ExecuteAsync("INSERT INTO outbox VALUES (2, 'a-2', '00-trace-01')");
        var second = await ServerValues.ReadAsync(db.ConnectionString, "outbox", [Id, Aggregate, Trace], "id", 2);
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN tenant INT UNSIGNED NOT NULL DEFAULT 7 AFTER id");
        await db.ExecuteAsync("INSERT INTO outbox (id, aggregateid, traceparent, tenant) VALUES (3, 'a-3', NULL, 4000000000)");
        var third = await ServerValues.ReadAsync(db.ConnectionString, "outbox", [Id, Tenant, Aggregate, Trace], "id", 3);
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "outbox");
        var decoded = DecodedRows.Decode(decoder, events);

        Assert.Equal(3, decoded.Rows.Count);
        Assert.Equal(first, decoded.Rows[0]);
        Assert.Equal(second, decoded.Rows[1]);
        Assert.Equal(third, decoded.Rows[2]);
        Assert.Equal(3, decoded.RowTables.Distinct().Count());
        Assert.Equal(["id", "aggregateid"], Names(decoded.RowTables[0]));
        Assert.Equal(["id", "aggregateid", "traceparent"], Names(decoded.RowTables[1]));
        Assert.Equal(["id", "tenant", "aggregateid", "traceparent"], Names(decoded.RowTables[2]));
        var alters = decoded.Statements.Where(s => s.StartsWith("ALTER TABLE", StringComparison.Ordinal)).ToList();
        Assert.Equal(["ALTER TABLE outbox ADD COLUMN traceparent VARCHAR(55) NULL", "ALTER TABLE outbox ADD COLUMN tenant INT UNSIGNED NOT NULL DEFAULT 7 AFTER id"], alters);
    }

    private static string[] Names(BinlogTable table) => table.Columns.Names.Select(n => n ?? "(unknown)").ToArray();
}
