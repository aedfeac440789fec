using System.Buffers.Binary;
using System.IO.Hashing;
using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// Server settings the shared server must keep as they are, each on a private MariaDB: log_bin_compress,
/// binlog_checksum=NONE, and the row metadata levels below FULL.
/// </summary>
public sealed class PrivateServerTests
{
    private static readonly ServerColumn[] Columns =
    [
        new("id", "INT NOT NULL PRIMARY KEY", ServerKind.Cast),
        new("amount", "DECIMAL(12,2)", ServerKind.Cast),
        new("big", "BIGINT UNSIGNED", ServerKind.Cast),
        new("l1", "VARCHAR(100) CHARACTER SET latin1", ServerKind.Text),
        new("body", "TEXT CHARACTER SET utf8mb4", ServerKind.Text),
        new("raw", "BLOB", ServerKind.Bytes),
        new("at", "DATETIME(3)", ServerKind.Temporal),
    ];

    private static readonly string Create = $"CREATE DATABASE d; CREATE TABLE d.t ({string.Join(", ", Columns.Select(c => $"`{c.Name}` {c.Definition}"))}); " +
                                            "CREATE TABLE d.other (id INT PRIMARY KEY, body TEXT)";

    private const string Insert = """
        INSERT INTO d.t VALUES (1, -12.34, 18446744073709551615, 'café crème', REPEAT('compress me ✓ ', 40), REPEAT(X'00FF', 30), '2024-01-02 03:04:05.678');
        INSERT INTO d.other VALUES (1, REPEAT('other table ', 40));
        INSERT INTO d.t VALUES (2, NULL, 0, '', 'short', X'01', '1999-09-09 09:09:09');
        """;

    [Fact]
    public async Task Compressed_queries_and_rows_inflate_and_other_tables_compressed_rows_are_skipped()
    {
        await using var server = await MariaDbInstance.StartAsync("--log-bin-compress=ON", "--log-bin-compress-min-len=10");
        await server.ExecuteAsync(Create);
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync(Insert + "ALTER TABLE d.other ADD COLUMN note VARCHAR(200) DEFAULT 'a default long enough to be compressed'");
        var events = await capture.ReadAsync(server.AdminConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable("d", "t");
        var compressedRows = 0;
        var compressedQueries = new List<string>();
        var skipped = new List<bool>();
        var decoded = DecodedRows.Decode(decoder, events, e =>
        {
            if (e is WriteRowsEvent { WasCompressed: true } w)
            {
                compressedRows++;
                skipped.Add(w.Table is null);
            }
            if (e is QueryEvent { WasCompressed: true } q) compressedQueries.Add(q.Statement);
        });

        Assert.Contains(events, e => e.Event.Span[4] == (byte)BinlogEventType.MariaDbWriteRowsCompressedV1);
        Assert.Equal(3, compressedRows);
        Assert.Equal([false, true, false], skipped);
        Assert.Contains("ALTER TABLE d.other ADD COLUMN note VARCHAR(200) DEFAULT 'a default long enough to be compressed'", compressedQueries);
        await AssertRowsAsync(server.AdminConnectionString, decoded);
    }

    [Fact]
    public async Task A_corrupted_compressed_row_image_is_a_clear_error()
    {
        await using var server = await MariaDbInstance.StartAsync("--log-bin-compress=ON", "--log-bin-compress-min-len=10");
        await server.ExecuteAsync(Create);
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync(Insert);
        var events = await capture.ReadAsync(server.AdminConnectionString);
        var index = events.FindIndex(e => e.Event.Span[4] == (byte)BinlogEventType.MariaDbWriteRowsCompressedV1);
        var bytes = events[index].Event.ToArray();
        // Break the zlib stream in the middle and re-sign the event, so only the inflating can notice.
        bytes[bytes.Length - 12] ^= 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
        events[index] = (events[index].File, bytes);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable("d", "t");
        var error = Assert.Throws<BinlogFormatException>(() => DecodedRows.Decode(decoder, events));
        Assert.Equal(BinlogEventType.MariaDbWriteRowsCompressedV1, error.EventType);
        Assert.Matches("zlib|inflates", error.Message);
    }

    [Fact]
    public async Task Without_checksums_events_decode_from_the_format_descriptions_algorithm()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-checksum=NONE");
        await server.ExecuteAsync(Create);
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync(Insert);
        var events = await capture.ReadAsync(server.AdminConnectionString);

        // As a dump sends it after SET @master_binlog_checksum='NONE': a fake ROTATE without a CRC, then the file.
        var fakeRotate = EventBytes.Event(4, EventBytes.Concat(EventBytes.UInt64(4), EventBytes.Ascii(events[0].File)), crc32: false, flags: 0x20, timestamp: 0);
        using var decoder = new BinlogEventDecoder(new BinlogDecoderOptions { NegotiatedChecksum = BinlogChecksum.None });
        decoder.AddTable("d", "t");
        var decoded = DecodedRows.Decode(decoder, [(events[0].File, fakeRotate), .. events]);

        Assert.Equal(BinlogChecksum.None, decoded.FormatDescription!.Checksum);
        Assert.Equal(BinlogEventType.Rotate, decoded.Events[0].Type);
        await AssertRowsAsync(server.AdminConnectionString, decoded);
    }

    [Fact]
    public async Task Minimal_metadata_gives_charsets_and_signedness_and_the_caller_completes_names_and_labels()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=MINIMAL");
        await server.ExecuteAsync(Create + "; CREATE TABLE d.e (id INT PRIMARY KEY, size ENUM('s','m','l'), tags SET('x','y'))");
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync(Insert + "INSERT INTO d.e VALUES (1, 'm', 'x,y')");
        var events = await capture.ReadAsync(server.AdminConnectionString);

        // Without help: values decode (the charsets and signedness are logged), names and labels are unknown.
        using (var bare = new BinlogEventDecoder())
        {
            bare.AddTable("d", "t");
            bare.AddTable("d", "e");
            var decoded = DecodedRows.Decode(bare, events);
            Assert.All(decoded.Tables, t => Assert.All(t.Columns.Names, Assert.Null));
            await AssertRowsAsync(server.AdminConnectionString, decoded);
            var enumRow = decoded.Rows.Single(r => decoded.RowTables[decoded.Rows.IndexOf(r)].Name == "e");
            Assert.Equal(await ScalarAsync(server.AdminConnectionString, "SELECT CAST(size + 0 AS CHAR) FROM d.e"), enumRow[1]);
            Assert.Equal(await ScalarAsync(server.AdminConnectionString, "SELECT CAST(tags + 0 AS CHAR) FROM d.e"), enumRow[2]);
        }

        // With the caller's names and labels (from information_schema), as FULL metadata would give them.
        using var helped = new BinlogEventDecoder();
        helped.AddTable("d", "t", await ColumnsFromInformationSchemaAsync(server.AdminConnectionString, "t"));
        helped.AddTable("d", "e", await ColumnsFromInformationSchemaAsync(server.AdminConnectionString, "e"));
        var withNames = DecodedRows.Decode(helped, events);
        Assert.Equal(Columns.Select(c => c.Name), withNames.Tables.Single(t => t.Name == "t").Columns.Names.Select(n => n!));
        var row = withNames.Rows[withNames.RowTables.FindIndex(t => t.Name == "e")];
        Assert.Equal(new object?[] { "1", "m", "x,y" }, row);
    }

    [Fact]
    public async Task Without_row_metadata_the_caller_supplies_charsets_and_signedness_or_gets_a_clear_error()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=NO_LOG");
        await server.ExecuteAsync(Create);
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync(Insert);
        var events = await capture.ReadAsync(server.AdminConnectionString);

        using (var bare = new BinlogEventDecoder())
        {
            bare.AddTable("d", "t");
            var error = Assert.Throws<BinlogFormatException>(() => DecodedRows.Decode(bare, events));
            Assert.Equal(BinlogEventType.TableMap, error.EventType);
            Assert.Contains("signedness of column #0 (Long)", error.Message);
            Assert.Contains("signedness of column #2 (LongLong)", error.Message);
            Assert.Contains("charset of column #3 (VarChar)", error.Message);
            Assert.Contains("charset of column #5 (Blob)", error.Message);
            Assert.Contains("binlog_row_metadata=FULL", error.Message);
        }

        using var helped = new BinlogEventDecoder();
        helped.AddTable("d", "t", await ColumnsFromInformationSchemaAsync(server.AdminConnectionString, "t"));
        var decoded = DecodedRows.Decode(helped, events);
        Assert.Equal(Columns.Select(c => c.Name), decoded.Tables.Single().Columns.Names.Select(n => n!));
        await AssertRowsAsync(server.AdminConnectionString, decoded);
    }

    [Fact]
    public async Task The_pre_5_6_temporal_formats_decode_as_the_server_reads_them()
    {
        // mysql56_temporal_format=OFF makes new TIME, DATETIME and TIMESTAMP columns use the old formats (types 11, 12, 7).
        ServerColumn[] columns =
        [
            new("id", "INT NOT NULL PRIMARY KEY", ServerKind.Cast), new("tm", "TIME", ServerKind.Temporal),
            new("dtm", "DATETIME", ServerKind.Temporal), new("ts", "TIMESTAMP NULL", ServerKind.Timestamp),
        ];
        await using var server = await MariaDbInstance.StartAsync("--mysql56-temporal-format=OFF");
        await server.ExecuteAsync($"CREATE DATABASE d; CREATE TABLE d.old ({string.Join(", ", columns.Select(c => $"`{c.Name}` {c.Definition}"))})");
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync("""
            SET sql_mode = ''; SET time_zone = '+00:00';
            INSERT INTO d.old VALUES (1, '12:34:56', '2024-02-29 13:14:15', '2024-02-29 13:14:15');
            INSERT INTO d.old VALUES (2, '-838:59:59', '0000-00-00 00:00:00', '0000-00-00 00:00:00');
            INSERT INTO d.old VALUES (3, '838:59:59', '9999-12-31 23:59:59', '2038-01-19 03:14:07');
            INSERT INTO d.old VALUES (4, '-00:00:01', '1000-01-01 00:00:00', '1970-01-01 00:00:01')
            """);
        var events = await capture.ReadAsync(server.AdminConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable("d", "old");
        var decoded = DecodedRows.Decode(decoder, events);

        Assert.Equal([MySqlColumnType.Long, MySqlColumnType.Time, MySqlColumnType.DateTime, MySqlColumnType.Timestamp], decoded.Tables.Single().ColumnTypes);
        Assert.Equal(4, decoded.Rows.Count);
        foreach (var row in decoded.Rows)
        {
            var expected = await ServerValues.ReadAsync(server.AdminConnectionString, "d.old", columns, "id", int.Parse((string)row[0]!, System.Globalization.CultureInfo.InvariantCulture));
            ServerValues.AssertRow(columns, expected, row);
        }
    }

    /// <summary>What a source learns from information_schema when the binlog does not say it (the source's own loader).</summary>
    private static async Task<TableColumns> ColumnsFromInformationSchemaAsync(string cs, string table)
    {
        await using var conn = new MySqlConnection(cs);
        await conn.OpenAsync();
        return (await InformationSchemaColumns.LoadAsync(conn, "d", table, CancellationToken.None))!;
    }

    private static async Task AssertRowsAsync(string cs, DecodedRows decoded)
    {
        var rows = decoded.Rows.Where((_, i) => decoded.RowTables[i].Name == "t").ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            var expected = await ServerValues.ReadAsync(cs, "d.t", Columns, "id", int.Parse((string)row[0]!, System.Globalization.CultureInfo.InvariantCulture));
            ServerValues.AssertRow(Columns, expected, row);
        }
    }

    private static async Task<string> ScalarAsync(string cs, string sql)
    {
        await using var conn = new MySqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        return Convert.ToString(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
