using System.Diagnostics;
using Relay.Binlog.Events;
using Xunit.Abstractions;

namespace Relay.Binlog.Tests.Events;

/// <summary>Decoding single-row outbox transactions, the relay's steady state: measured and reported, not asserted.</summary>
public sealed class ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Single_row_outbox_transactions_decode_with_one_row_array_of_allocation_each()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        var script = new System.Text.StringBuilder();
        for (var i = 0; i < 1000; i++)
            script.Append($"INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent) VALUES ('order', '{i}', 'OrderPlaced', " +
                          $"'{{\"orderId\": {i}, \"lines\": [{{\"sku\": \"A-{i}\", \"qty\": 2}}], \"note\": \"{new string('n', 200)}\"}}', " +
                          "'00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');");
        await db.ExecuteAsync(script.ToString());
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "outbox");
        var first = DecodedRows.Decode(decoder, events);
        Assert.Equal(1000, first.Rows.Count);
        var expected = await ServerValues.ReadAsync(db.ConnectionString, "outbox",
            [new("aggregateid", "VARCHAR(255)", ServerKind.Text), new("payload", "JSON", ServerKind.Text), new("traceparent", "VARCHAR(55)", ServerKind.Text)],
            "aggregateid", "999");
        Assert.Equal(expected, new[] { first.Rows[^1][3], first.Rows[^1][5], first.Rows[^1][6] });

        // The same 1,000 transactions 100 times over (the table id stays known): 100,000 transactions.
        var replay = events.Where(e => (BinlogEventType)e.Event.Span[4] != BinlogEventType.FormatDescription).Select(e => e.Event).ToArray();
        var rows = 0;
        var bytes = 0L;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 100; round++)
        {
            foreach (var e in replay)
            {
                bytes += e.Length;
                decoder.Feed(e);
                while (decoder.TryRead(out var decoded))
                {
                    if (decoded is WriteRowsEvent { Table: not null } write)
                        while (write.TryReadRow(out _)) rows++;
                }
            }
        }
        clock.Stop();
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100_000, rows);

        // The same without reading the rows: the cost of the events themselves (header, CRC32, TABLE_MAP lookup, GTID).
        var cpuEvents = Process.GetCurrentProcess().TotalProcessorTime;
        for (var round = 0; round < 100; round++)
        {
            foreach (var e in replay)
            {
                decoder.Feed(e);
                while (decoder.TryRead(out _)) { }
            }
        }
        var eventsOnlyMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuEvents).TotalMilliseconds;
        output.WriteLine($"{rows:N0} single-row transactions ({bytes / 1024 / 1024} MB of events) in {clock.ElapsedMilliseconds} ms: " +
                         $"{rows * 1000.0 / clock.ElapsedMilliseconds:N0} transactions/s; {cpuMs:N0} ms of process CPU time, {rows * 1000.0 / cpuMs:N0} " +
                         $"transactions per CPU-second (the machine is shared: wall time is not the decoder's); {allocated / rows} bytes allocated per transaction " +
                         "(the row array and its seven strings); without reading the rows " +
                         $"{eventsOnlyMs:N0} ms of CPU time ({rows * 1000.0 / eventsOnlyMs:N0} transactions per CPU-second); a measurement, not asserted");
    }
}
