using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// MariaDB's UUID (10.7+), INET6 (10.5+) and INET4 (10.10+) columns: the binlog logs them as BINARY(n), and the
/// decoder, told their types by information_schema, prints them exactly as SELECT does.
/// </summary>
public sealed class MariaDbFixedBinaryTypeTests
{
    // Each UUID layout MariaDB treats apart (a version 1-5 RFC 4122 UUID is the one it may store swapped), the nil
    // UUID and trailing zero bytes (stripped in the log like BINARY's padding); the INET6 forms Inet6::to_string
    // prints differently (a single zero group, the first longest run, IPv4-compatible and -mapped, all zeros).
    private static readonly (string Uuid, string Inet6, string Inet4)[] Values =
    [
        ("123e4567-e89b-12d3-a456-426655440000", "2001:db8::ff00:42:8329", "192.168.1.200"),
        ("00112233-4455-1677-8899-aabbccddeeff", "1:0:2:3:4:5:6:7", "0.0.0.1"),
        ("00112233-4455-6677-0899-AABBCCDDEEFF", "1:0:0:2:0:0:0:3", "255.255.255.255"),
        ("0189b3c6-a5a4-7e2f-9c3b-4d5e6f708192", "::1.2.3.4", "10.0.0.0"),
        ("00000000-0000-0000-0000-000000000000", "::ffff:1.2.3.4", "0.0.0.0"),
        ("ffffffff-ffff-ffff-ffff-ffffffffffff", "::", "127.0.0.1"),
        ("f81d4fae-7dec-41d0-a765-00a0c91e6bf6", "abcd:0:0:1:0:0:0:0", "8.8.4.4"),
        ("6ccd780c-baba-1026-9564-5b8c656024db", "::ffff:1:2:3:4", "1.0.0.0"),
        ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "::1", "100.64.0.1"),
    ];

    [Fact]
    public async Task Uuid_inet6_and_inet4_columns_decode_to_the_text_select_prints()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, u UUID, u2 UUID NOT NULL, i6 INET6, i4 INET4, b BINARY(16))");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        var rows = Values.Select((v, n) => $"({n + 1}, '{v.Uuid}', '{v.Uuid}', '{v.Inet6}', '{v.Inet4}', UNHEX(REPLACE('{v.Uuid}', '-', '')))");
        await db.ExecuteAsync($"INSERT INTO t VALUES {string.Join(", ", rows)}; INSERT INTO t (id, u2) VALUES (100, UUID())");
        var events = await capture.ReadAsync(db.ConnectionString);

        TableColumns? catalog;
        await using (var connection = new MySqlConnection(db.ConnectionString))
        {
            await connection.OpenAsync();
            catalog = await InformationSchemaColumns.LoadAsync(connection, db.Name, "t", CancellationToken.None);
        }
        Assert.Equal(new string?[] { "int", "uuid", "uuid", "inet6", "inet4", "binary" }, catalog!.DataTypes);
        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "t", catalog);
        var decoded = DecodedRows.Decode(decoder, events);

        var selected = new List<object?[]>();
        await using (var connection = new MySqlConnection(db.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand(
                "SELECT id, CAST(u AS CHAR), CAST(u2 AS CHAR), CAST(i6 AS CHAR), CAST(i4 AS CHAR), b FROM t ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                selected.Add(Enumerable.Range(0, 6).Select(i => reader.IsDBNull(i) ? null : i == 5 ? (object)(byte[])reader.GetValue(i) : reader.GetValue(i).ToString()).ToArray());
        }
        Assert.Equal(Values.Length + 1, selected.Count);
        Assert.Equal(selected.Count, decoded.Rows.Count);
        for (var n = 0; n < selected.Count; n++)
            Assert.Equal(selected[n], decoded.Rows[n]);
        // What the test wrote, as MariaDB prints it: lower-case UUIDs, compressed IPv6.
        Assert.Equal("00112233-4455-6677-0899-aabbccddeeff", decoded.Rows[2][1]);
        Assert.Equal(["1::2:3:4:5:6:7", "1:0:0:2::3", "abcd:0:0:1::", "::"], new[] { decoded.Rows[1][3], decoded.Rows[2][3], decoded.Rows[6][3], decoded.Rows[5][3] });
        Assert.Null(decoded.Rows[^1][1]);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", Assert.IsType<string>(decoded.Rows[^1][2]));

        // A decoder not told the types (no information_schema) gives the 16 bytes, as it does for BINARY(16).
        using var bare = new BinlogEventDecoder();
        bare.AddTable(db.Name, "t");
        Assert.Equal(Convert.FromHexString("123e4567e89b12d3a456426655440000"), DecodedRows.Decode(bare, events).Rows[0][1]);
    }

    [Fact]
    public async Task The_types_follow_the_column_names_when_the_table_changed_since_information_schema_was_read()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, u UUID, b BINARY(16))");
        TableColumns? catalog;
        await using (var connection = new MySqlConnection(db.ConnectionString))
        {
            await connection.OpenAsync();
            catalog = await InformationSchemaColumns.LoadAsync(connection, db.Name, "t", CancellationToken.None);
        }
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        // After the catalog was read: the BINARY(16) moves to where the UUID was, and a column is added.
        await db.ExecuteAsync("ALTER TABLE t MODIFY b BINARY(16) AFTER id, ADD COLUMN n INT; " +
                              "INSERT INTO t VALUES (1, X'00112233445566778899AABBCCDDEEFF', '123e4567-e89b-12d3-a456-426655440000', 7)");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "t", catalog);
        var row = Assert.Single(DecodedRows.Decode(decoder, events).Rows);
        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"), row[1]); // b, by name: still bytes
        Assert.Equal("123e4567-e89b-12d3-a456-426655440000", row[2]);                    // u, by name: the UUID text
        Assert.Equal("7", row[3]);
    }

    [Fact]
    public async Task A_session_with_binlog_row_image_minimal_logs_rows_without_the_columns_it_did_not_set()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10) DEFAULT 'x', c TEXT)");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync("INSERT INTO t VALUES (1, 'full', 'y', 'z'); SET SESSION binlog_row_image = MINIMAL; INSERT INTO t (id, a) VALUES (2, 'minimal')");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "t");
        var images = new List<(bool Every, int[] Missing)>();
        DecodedRows.Decode(decoder, events, e =>
        {
            if (e is WriteRowsEvent { Table: not null } w) images.Add((w.HasEveryColumn, w.MissingColumns()));
        });
        Assert.Equal(2, images.Count);
        Assert.Equal((true, Array.Empty<int>()), (images[0].Every, images[0].Missing));
        Assert.False(images[1].Every);
        Assert.Equal([2, 3], images[1].Missing); // b (its default) and c were not set by the INSERT
    }
}
