using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>Text in each character set the decoder converts, compared with what the server returns to a utf8mb4 client.</summary>
public sealed class CharsetTests
{
    private static readonly ServerColumn[] Columns =
    [
        new("l1", "VARCHAR(300) CHARACTER SET latin1", ServerKind.Text),
        new("l1c", "CHAR(200) CHARACTER SET latin1", ServerKind.Text),
        new("l1t", "TEXT CHARACTER SET latin1", ServerKind.Text),
        new("u3", "VARCHAR(50) CHARACTER SET utf8mb3", ServerKind.Text),
        new("a", "VARCHAR(50) CHARACTER SET ascii", ServerKind.Text),
        new("u2", "VARCHAR(50) CHARACTER SET ucs2", ServerKind.Text),
        new("u16", "VARCHAR(50) CHARACTER SET utf16", ServerKind.Text),
        new("u16le", "TEXT CHARACTER SET utf16le", ServerKind.Text),
        new("u32", "CHAR(20) CHARACTER SET utf32", ServerKind.Text),
        new("c1250", "VARCHAR(50) CHARACTER SET cp1250", ServerKind.Text),
        new("el1", "ENUM('naïve','€uro','plain') CHARACTER SET latin1", ServerKind.Cast),
        new("su8", "SET('ä','ö','ü') CHARACTER SET utf8mb4", ServerKind.Cast),
    ];

    [Fact]
    public async Task Text_of_every_supported_charset_decodes_as_the_server_converts_it()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync($"CREATE TABLE cs (id INT PRIMARY KEY, {string.Join(", ", Columns.Select(c => $"`{c.Name}` {c.Definition}"))})");
        // Every latin1 byte from 0x20 up, including the five cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D).
        var latin1 = "_latin1 X'" + string.Concat(Enumerable.Range(0x20, 0xE0).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))) + "'";
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync($"""
            INSERT INTO cs VALUES (1, {latin1}, _latin1 X'80818D8F909D9E9FA0FF', {latin1},
              'ünïcödé ☃', 'plain ascii ~', 'ucs2 ☃ ü', 'utf16 𝄞 astral', 'utf16le 𝄞 ü', 'utf32 𝄞',
              'ascii only in cp1250', '€uro', 'ä,ü');
            INSERT INTO cs VALUES (2, '', '', '', '', '', '', '', '', '', '', 'naïve', '')
            """);
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "cs");
        var decoded = DecodedRows.Decode(decoder, events);

        Assert.Equal(2, decoded.Rows.Count);
        for (var id = 1; id <= 2; id++)
        {
            var expected = await ServerValues.ReadAsync(db.ConnectionString, "cs", Columns, "id", id);
            ServerValues.AssertRow(Columns, expected, decoded.Rows[id - 1], offset: 1, what: $"row {id}: ");
        }
        // MySQL's latin1 maps 0x80 to the euro sign and the bytes cp1252 leaves undefined to the C1 controls.
        Assert.Equal("€\u0081\u008D\u008F\u0090\u009DžŸ\u00A0ÿ", decoded.Rows[0][2]);
    }

    [Fact]
    public async Task Non_ascii_text_of_an_unsupported_charset_is_an_error_naming_the_charset_and_column()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE cs (id INT PRIMARY KEY, note VARCHAR(20) CHARACTER SET cp1250)");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync("INSERT INTO cs VALUES (1, 'Łódź')");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "cs");
        var error = Assert.Throws<BinlogFormatException>(() => DecodedRows.Decode(decoder, events));
        Assert.Contains("cp1250", error.Message);
        Assert.Contains("'note'", error.Message);
        Assert.Equal(BinlogEventType.WriteRowsV1, error.EventType);
        Assert.StartsWith("mysql-bin.", error.FileName);
        Assert.True(error.Position > 4, error.Message);
    }
}
