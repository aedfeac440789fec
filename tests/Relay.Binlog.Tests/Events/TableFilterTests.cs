using Relay.Binlog.Events;
using Xunit.Abstractions;

namespace Relay.Binlog.Tests.Events;

/// <summary>Only the requested table's rows are decoded; other tables' events pass without decoding and without allocation.</summary>
public sealed class TableFilterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rows_of_other_tables_are_skipped_undecoded_and_cost_no_allocation()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("""
            CREATE TABLE wanted (id INT PRIMARY KEY, note VARCHAR(50));
            CREATE TABLE other (id INT PRIMARY KEY, note VARCHAR(50), extra JSON);
            CREATE TABLE Wanted2 (id INT PRIMARY KEY)
            """);
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        var script = new System.Text.StringBuilder();
        for (var i = 1; i <= 200; i++)
        {
            script.Append($"INSERT INTO other VALUES ({i}, 'other {i}', '{{\"n\": {i}}}');");
            if (i % 20 == 0) script.Append($"INSERT INTO wanted VALUES ({i}, 'wanted {i}');");
        }
        script.Append("INSERT INTO Wanted2 VALUES (7);");
        await db.ExecuteAsync(script.ToString());
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "wanted");
        // The binlog is the whole server's: other tests write beside this one, so only this database's tables count.
        var schema = System.Text.Encoding.UTF8.GetBytes(db.Name);
        var ours = new HashSet<ulong>();
        var skipped = 0;
        var decoded = DecodedRows.Decode(decoder, events, e =>
        {
            if (e is TableMapEvent { Table: null } map && map.SchemaUtf8.Span.SequenceEqual(schema)) ours.Add(map.TableId);
            if (e is RowsEvent { Table: null } rows && ours.Contains(rows.TableId)) skipped++;
        });
        Assert.Equal(Enumerable.Range(1, 10).Select(n => $"wanted {n * 20}"), decoded.Rows.Select(r => (string)r[1]!));
        Assert.All(decoded.RowTables, t => Assert.Equal("wanted", t.Name));
        Assert.Equal(201, skipped); // 200 rows of `other`, 1 of `Wanted2`: not the table asked for, despite the name's likeness

        // Again, after the first pass learned the table ids: the other table's 200 transactions allocate nothing.
        var otherEvents = events.Where(e => (BinlogEventType)e.Event.Span[4] != BinlogEventType.FormatDescription).ToList();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var rowsEvents = 0;
        foreach (var (_, bytes) in otherEvents)
        {
            decoder.Feed(bytes);
            while (decoder.TryRead(out var e))
                if (e is RowsEvent { Table: null } rows && ours.Contains(rows.TableId)) rowsEvents++;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{otherEvents.Count} events ({rowsEvents} rows events of other tables) decoded a second time: {allocated} bytes allocated");
        Assert.Equal(201, rowsEvents);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {otherEvents.Count} events");
    }

    [Fact]
    public async Task Names_compare_case_sensitively_unless_the_comparer_says_otherwise()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE Outbox (id INT PRIMARY KEY)");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync("INSERT INTO Outbox VALUES (1)");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var exact = new BinlogEventDecoder();
        exact.AddTable(db.Name, "outbox");
        Assert.Empty(DecodedRows.Decode(exact, events).Rows);

        using var ignoringCase = new BinlogEventDecoder(new BinlogDecoderOptions { TableNameComparer = StringComparer.OrdinalIgnoreCase });
        ignoringCase.AddTable(db.Name.ToUpperInvariant(), "OUTBOX");
        Assert.Equal("1", Assert.Single(DecodedRows.Decode(ignoringCase, events).Rows)[0]);
    }
}
