using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// Without binlog_row_metadata=FULL the caller's <see cref="TableColumns"/> name the columns; a TABLE_MAP they do not fit
/// (the table was altered after its rows were logged) is a <see cref="BinlogTableChangedException"/>, never rows under
/// the wrong names. information_schema's types fit the TABLE_MAPs of every type listed.
/// </summary>
public sealed class TableChangedTests
{
    private const string Wide = """
        CREATE DATABASE d; CREATE TABLE d.w (
          id INT PRIMARY KEY, t TINYINT, s SMALLINT UNSIGNED, m MEDIUMINT, b BIGINT, f FLOAT, g DOUBLE, dc DECIMAL(10,3),
          dt DATE, tm TIME(2), dtm DATETIME, ts TIMESTAMP NULL, y YEAR, c CHAR(3), bn BINARY(2), vc VARCHAR(20), vb VARBINARY(20),
          tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, bl BLOB, j JSON, e ENUM('a','b'), st SET('x','y'), bt BIT(5), gm POINT)
        """;

    [Fact]
    public async Task A_TABLE_MAP_of_another_shape_or_type_than_the_callers_columns_is_an_error_naming_the_column_and_the_position()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=NO_LOG");
        await server.ExecuteAsync(Wide + "; CREATE TABLE d.n (id INT PRIMARY KEY, v VARCHAR(10))");
        var capture = await BinlogCapture.StartAsync(server.AdminConnectionString, server.BinlogDirectory);
        await server.ExecuteAsync("""
            INSERT INTO d.w VALUES (1, 1, 2, 3, 4, 1.5, 2.5, 3.25, '2024-01-02', '01:02:03.04', '2024-01-02 03:04:05', NULL, 2024, 'abc', X'0102',
              'v', X'03', 'tt', 'tx', 'mt', 'lt', X'04', '{"a": 1}', 'b', 'x,y', b'10101', POINT(1, 2));
            INSERT INTO d.n VALUES (1, '10');
            """);
        var events = await capture.ReadAsync(server.AdminConnectionString);

        // The table as logged: every type's column fits information_schema's.
        using (var decoder = new BinlogEventDecoder())
        {
            decoder.AddTable("d", "w", await ColumnsAsync(server, "w"));
            var decoded = DecodedRows.Decode(decoder, events);
            Assert.Equal("id", decoded.Tables.Single().Columns.Names[0]);
            Assert.Single(decoded.Rows);
        }

        // Altered after the rows were logged: another type in the same place, then another column count.
        await server.ExecuteAsync("ALTER TABLE d.n MODIFY v BIGINT");
        using (var decoder = new BinlogEventDecoder())
        {
            decoder.AddTable("d", "n", await ColumnsAsync(server, "n"));
            var e = Assert.Throws<BinlogTableChangedException>(() => DecodedRows.Decode(decoder, events));
            Assert.Equal("d.n", e.Table);
            Assert.Equal(1, e.Ordinal);
            Assert.Equal("v", e.ColumnName);
            Assert.Equal("column 'v' (#1) is LongLong in the supplied columns but VarChar in the TABLE_MAP", e.Problem);
            Assert.StartsWith("mysql-bin.", e.FileName);
            Assert.True(e.Position > 4);
            Assert.Contains($"The TABLE_MAP of d.n at {e.FileName}:{e.Position} does not match", e.Message);
        }
        await server.ExecuteAsync("ALTER TABLE d.n ADD COLUMN tenant INT FIRST");
        using (var decoder = new BinlogEventDecoder())
        {
            decoder.AddTable("d", "n", await ColumnsAsync(server, "n"));
            var e = Assert.Throws<BinlogTableChangedException>(() => DecodedRows.Decode(decoder, events));
            Assert.Null(e.Ordinal);
            Assert.Equal("the TABLE_MAP has 2 columns, the supplied columns are 3 (tenant, id, v)", e.Problem);
        }
    }

    private static async Task<TableColumns> ColumnsAsync(MariaDbInstance server, string table)
    {
        await using var conn = new MySqlConnection(server.AdminConnectionString);
        await conn.OpenAsync();
        return (await InformationSchemaColumns.LoadAsync(conn, "d", table, CancellationToken.None))!;
    }
}
