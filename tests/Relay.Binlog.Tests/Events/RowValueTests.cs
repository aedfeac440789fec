using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// Rows of every column type MariaDB logs, written to the shared server and decoded from its binlog files, each value
/// compared with what the server itself returns for SELECT.
/// </summary>
public sealed class RowValueTests
{
    private static readonly ServerColumn[] Columns =
    [
        new("ti", "TINYINT", ServerKind.Cast),
        new("tiu", "TINYINT UNSIGNED", ServerKind.Cast),
        new("si", "SMALLINT", ServerKind.Cast),
        new("siu", "SMALLINT UNSIGNED", ServerKind.Cast),
        new("mi", "MEDIUMINT", ServerKind.Cast),
        new("miu", "MEDIUMINT UNSIGNED", ServerKind.Cast),
        new("i", "INT", ServerKind.Cast),
        new("iu", "INT UNSIGNED", ServerKind.Cast),
        new("bi", "BIGINT", ServerKind.Cast),
        new("biu", "BIGINT UNSIGNED", ServerKind.Cast),
        new("y", "YEAR", ServerKind.Cast),
        new("f", "FLOAT", ServerKind.Float),
        new("d", "DOUBLE", ServerKind.Double),
        new("dec1", "DECIMAL(10,2)", ServerKind.Cast),
        new("dec2", "DECIMAL(65,30)", ServerKind.Cast),
        new("dec3", "DECIMAL(6,3)", ServerKind.Cast),
        new("dec4", "DECIMAL(18,0)", ServerKind.Cast),
        new("dec5", "DECIMAL(5,5)", ServerKind.Cast),
        new("dec6", "DECIMAL(12,4) UNSIGNED", ServerKind.Cast),
        new("dt", "DATE", ServerKind.Cast),
        new("tm", "TIME", ServerKind.Temporal),
        new("tm1", "TIME(1)", ServerKind.Temporal),
        new("tm3", "TIME(3)", ServerKind.Temporal),
        new("tm6", "TIME(6)", ServerKind.Temporal),
        new("dtm", "DATETIME", ServerKind.Temporal),
        new("dtm2", "DATETIME(2)", ServerKind.Temporal),
        new("dtm4", "DATETIME(4)", ServerKind.Temporal),
        new("dtm6", "DATETIME(6)", ServerKind.Temporal),
        new("ts", "TIMESTAMP NULL", ServerKind.Timestamp),
        new("ts3", "TIMESTAMP(3) NULL", ServerKind.Timestamp),
        new("ts6", "TIMESTAMP(6) NULL", ServerKind.Timestamp),
        new("vc", "VARCHAR(20)", ServerKind.Text),
        new("vcl", "VARCHAR(300)", ServerKind.Text),
        new("ch", "CHAR(10)", ServerKind.Text),
        new("chl", "CHAR(255)", ServerKind.Text),
        new("bin", "BINARY(8)", ServerKind.Bytes),
        new("vbin", "VARBINARY(50)", ServerKind.Bytes),
        new("vcb", "VARCHAR(20) CHARACTER SET binary", ServerKind.Bytes),
        new("tt", "TINYTEXT", ServerKind.Text),
        new("tx", "TEXT", ServerKind.Text),
        new("mt", "MEDIUMTEXT", ServerKind.Text),
        new("lt", "LONGTEXT", ServerKind.Text),
        new("tb", "TINYBLOB", ServerKind.Bytes),
        new("bl", "BLOB", ServerKind.Bytes),
        new("mb", "MEDIUMBLOB", ServerKind.Bytes),
        new("lb", "LONGBLOB", ServerKind.Bytes),
        new("e", "ENUM('small','medium','large')", ServerKind.Cast),
        new("s", "SET('a','b','c','d')", ServerKind.Cast),
        new("bt1", "BIT(1)", ServerKind.Bit),
        new("bt12", "BIT(12)", ServerKind.Bit),
        new("bt64", "BIT(64)", ServerKind.Bit),
        new("j", "JSON", ServerKind.Text),
        new("g", "GEOMETRY", ServerKind.Bytes),
        new("p", "POINT", ServerKind.Bytes),
    ];

    // One row per line: typical values, the minimums and negatives, the maximums, zero dates and empty values.
    private static readonly string[] Rows =
    [
        """
        1, 12, 200, -1234, 60000, -80000, 16000000, -2000000000, 4000000000, -9000000000000000000, 18000000000000000000,
        2024, 3.14159, 2.718281828459045, 12.50, 12345678901234567890123456789012345.123456789012345678901234567890,
        -0.001, 123456789012345678, 0.12345, 99999999.9999,
        '2024-02-29', '12:34:56', '-01:02:03.4', '100:00:00.125', '-838:59:59.000001',
        '2024-02-29 13:14:15', '1999-12-31 23:59:59.99', '2001-02-03 04:05:06.0007', '2038-01-19 03:14:07.999999',
        '2024-02-29 13:14:15', '2024-02-29 13:14:15.123', '2038-01-19 03:14:07.499999',
        'héllo wörld ☃', REPEAT('ü', 280), 'padded  ', REPEAT('€', 250), X'0102', X'00FF10', X'DEADBEEF',
        'tiny', 'text 𝄞 with an astral', REPEAT('m', 70000), 'long text', X'00', X'0001020304', REPEAT(X'AB', 70000), X'FFFE',
        'medium', 'a,c', b'1', b'101010101010', b'1000000000000000000000000000000000000000000000000000000000000001',
        '{"a": 1, "b": [true, null], "s": "ü"}', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 1)'), POINT(1.5, -2.25)
        """,
        """
        2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
        1901, -1.17549435e-38, -1.7976931348623157e308, -99999999.99, -99999999999999999999999999999999999.999999999999999999999999999999,
        -999.999, -999999999999999999, -0.00001, 0.0000,
        '1000-01-01', '-838:59:59', '00:00:00.1', '-00:00:00.001', '00:00:00.000001',
        '1000-01-01 00:00:00', '1000-01-01 00:00:00.01', '1000-01-01 00:00:00.0001', '1000-01-01 00:00:00.000001',
        '1970-01-01 00:00:01', '1970-01-01 00:00:01.001', '1970-01-01 00:00:01.000001',
        '', '', '', '', X'', X'', X'',
        '', '', '', '', X'', X'', X'', X'',
        'small', '', b'0', b'0', b'0',
        '[]', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), POINT(0, 0)
        """,
        """
        3, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
        2155, 3.40282347e38, 4.9e-324, 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999,
        999.999, 999999999999999999, 0.99999, 99999999.9999,
        '9999-12-31', '838:59:59', '838:59:59.9', '838:59:59.999', '838:59:59.000000',
        '9999-12-31 23:59:59', '9999-12-31 23:59:59.99', '9999-12-31 23:59:59.9999', '9999-12-31 23:59:59.999999',
        '2038-01-19 03:14:07', '2038-01-19 03:14:07.999', '2038-01-19 03:14:07.999999',
        REPEAT('z', 20), REPEAT('y', 300), REPEAT('x', 10), REPEAT('w', 255), X'0102030405060708', REPEAT(X'7F', 50), REPEAT(X'80', 20),
        REPEAT('t', 255), 'quote " backslash \\ tab \t', 'ok', 'ok', REPEAT(X'01', 255), X'00', X'00', X'00',
        'large', 'a,b,c,d', b'1', b'111111111111', b'1111111111111111111111111111111111111111111111111111111111111111',
        '"just a string"', ST_GeomFromText('MULTIPOINT(1 1, 2 2)'), POINT(1e300, -1e-300)
        """,
        """
        4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, -0.0, 0.00, 0, 0.000, 0, 0.00000, 0,
        '0000-00-00', '00:00:00', '00:00:00', '00:00:00', '00:00:00',
        '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
        '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
        '0', '0', '0', '0', X'00', X'00', X'00',
        '0', '0', '0', '0', X'00', X'00', X'00', X'00',
        '', '', b'0', b'0', b'0',
        'null', NULL, NULL
        """,
    ];

    [Fact]
    public async Task Every_column_type_decodes_to_what_the_server_returns_for_select()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        var definition = string.Join(",\n", Columns.Select(c => $"`{c.Name}` {c.Definition}"));
        await db.ExecuteAsync($"CREATE TABLE types (id INT NOT NULL PRIMARY KEY,\n{definition}) ENGINE=InnoDB");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        // Zero dates and zero TIMESTAMPs need a sql_mode without NO_ZERO_DATE and strictness.
        var insert = string.Join(";\n", Rows.Select(r => $"INSERT INTO types VALUES ({r})"));
        await db.ExecuteAsync($"SET sql_mode = ''; SET time_zone = '+00:00';\n{insert};\nINSERT INTO types (id) VALUES (5)");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "types");
        var decoded = DecodedRows.Decode(decoder, events);

        Assert.Equal(5, decoded.Rows.Count);
        var table = Assert.Single(decoded.Tables);
        Assert.Equal(["id", .. Columns.Select(c => c.Name)], table.Columns.Names.Select(n => n!).ToArray());
        Assert.Equal([0], table.Columns.PrimaryKey!);
        Assert.Equal(["small", "medium", "large"], table.Columns.EnumValues[Columns.ToList().FindIndex(c => c.Name == "e") + 1]!);
        for (var id = 1; id <= 5; id++)
        {
            var row = decoded.Rows[id - 1];
            Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), row[0]);
            var expected = await ServerValues.ReadAsync(db.ConnectionString, "types", Columns, "id", id);
            ServerValues.AssertRow(Columns, expected, row, offset: 1, what: $"row {id}: ");
        }
        // Row 5 has only its id: every other column is NULL in both.
        Assert.All(decoded.Rows[4].Skip(1), Assert.Null);
    }
}
