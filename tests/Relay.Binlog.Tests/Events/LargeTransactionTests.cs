using Relay.Binlog.Events;
using Xunit.Abstractions;

namespace Relay.Binlog.Tests.Events;

/// <summary>A 100,000-row transaction decodes with allocation bounded by the values themselves.</summary>
public sealed class LargeTransactionTests(ITestOutputHelper output)
{
    private const int RowCount = 100_000;

    [Fact]
    public async Task A_100k_row_transaction_allocates_little_beyond_the_values_it_returns()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("""
            CREATE TABLE outbox (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, aggregateid VARCHAR(255) NOT NULL,
              type VARCHAR(64) NOT NULL, payload JSON, created DATETIME(6) NOT NULL)
            """);
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync($$"""
            INSERT INTO outbox (aggregateid, type, payload, created)
            SELECT CONCAT('order-', seq), 'OrderPlaced', CONCAT('{"n": ', seq, ', "text": "', REPEAT('x', 200), '"}'),
                   '2024-05-06 07:08:09.123456' + INTERVAL seq MICROSECOND
            FROM seq_1_to_{{RowCount}}
            """);
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "outbox");
        var rows = new List<object?[]>(RowCount);
        var rowsEvents = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (file, bytes) in events)
        {
            decoder.FileName = file;
            decoder.Feed(bytes);
            while (decoder.TryRead(out var e))
            {
                if (e is not WriteRowsEvent { Table: not null } write) continue;
                rowsEvents++;
                while (write.TryReadRow(out var row)) rows.Add(row);
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        clock.Stop();

        Assert.Equal(RowCount, rows.Count);
        // What the caller gets and keeps: the row arrays and their strings. Everything else is the decoder's cost.
        var values = rows.Sum(r => ArraySize(r.Length) + r.Sum(v => v is string s ? StringSize(s.Length) : 0));
        var listGrowth = 0L; // the list was presized
        var overhead = allocated - values - listGrowth;
        output.WriteLine($"{RowCount} rows in {rowsEvents} WRITE_ROWS events ({events.Sum(e => e.Event.Length) / 1024 / 1024} MB of binlog): " +
                         $"{allocated:N0} bytes allocated, {values:N0} of them the returned values, overhead {overhead:N0} bytes " +
                         $"({(double)overhead / RowCount:F1} per row, {(double)allocated / RowCount:F0} per row in all); " +
                         $"{clock.ElapsedMilliseconds} ms (a measurement, not asserted)");
        Assert.True(overhead < RowCount * 8L, $"decoding allocated {overhead:N0} bytes beyond the {values:N0} bytes of values");

        foreach (var n in new[] { 1, 2, RowCount / 2, RowCount })
        {
            var expected = await ServerValues.ReadAsync(db.ConnectionString, "outbox",
                [new("id", "BIGINT", ServerKind.Cast), new("aggregateid", "VARCHAR(255)", ServerKind.Text), new("type", "VARCHAR(64)", ServerKind.Text),
                 new("payload", "JSON", ServerKind.Text), new("created", "DATETIME(6)", ServerKind.Temporal)], "aggregateid", $"order-{n}");
            Assert.Equal(expected, rows.Single(r => (string)r[1]! == $"order-{n}"));
        }
    }

    private static long ArraySize(int length) => 24 + 8L * length;

    private static long StringSize(int length) => (22 + 2L * length + 7) / 8 * 8;
}
