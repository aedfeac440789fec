using System.Globalization;
using MySqlConnector;

namespace Relay.Binlog.Tests.Events;

/// <summary>How the server is asked for a column's value, so the test compares the decoder with the server itself.</summary>
internal enum ServerKind
{
    /// <summary>CAST(c AS CHAR): integers, decimals, YEAR, DATE, ENUM, SET.</summary>
    Cast,
    /// <summary>CAST(c AS CHAR), a DATETIME or TIME: ' ' becomes 'T', a zero fraction goes, trailing zeros go.</summary>
    Temporal,
    /// <summary>As <see cref="Temporal"/>, read with time_zone '+00:00' and marked 'Z'.</summary>
    Timestamp,
    /// <summary>The value as the server sends it to a utf8mb4 connection (it converts from the column's charset).</summary>
    Text,
    /// <summary>The bytes as the server sends them.</summary>
    Bytes,
    /// <summary>CAST(c AS UNSIGNED), compared with the decoded big-endian bytes.</summary>
    Bit,
    /// <summary>The 4-byte float over the binary protocol, as its shortest round-trip text.</summary>
    Float,
    /// <summary>The 8-byte double over the binary protocol, as its shortest round-trip text.</summary>
    Double,
}

internal sealed record ServerColumn(string Name, string Definition, ServerKind Kind);

/// <summary>Reads rows back with SELECT and puts them in the value normal form with plain string edits of the server's text.</summary>
internal static class ServerValues
{
    public static async Task<object?[]> ReadAsync(string connectionString, string table, IReadOnlyList<ServerColumn> columns, string key, object id)
    {
        var values = new object?[columns.Count];
        await using (var conn = new MySqlConnection(connectionString))
        {
            await conn.OpenAsync();
            await using (var tz = new MySqlCommand("SET time_zone = '+00:00'", conn)) await tz.ExecuteNonQueryAsync();
            var select = string.Join(", ", columns.Select(c => c.Kind switch
            {
                ServerKind.Cast or ServerKind.Temporal or ServerKind.Timestamp => $"CAST(`{c.Name}` AS CHAR)",
                ServerKind.Bit => $"CAST(`{c.Name}` AS UNSIGNED)",
                _ => $"`{c.Name}`",
            }));
            await using var cmd = new MySqlCommand($"SELECT {select} FROM {table} WHERE `{key}` = @id", conn);
            cmd.Parameters.AddWithValue("@id", id);
            await using var reader = await cmd.ExecuteReaderAsync();
            if (!await reader.ReadAsync()) throw new InvalidOperationException($"no row {key} = {id} in {table}");
            for (var i = 0; i < columns.Count; i++)
            {
                if (await reader.IsDBNullAsync(i)) continue;
                values[i] = columns[i].Kind switch
                {
                    ServerKind.Cast or ServerKind.Text => reader.GetString(i),
                    ServerKind.Temporal => Temporal(reader.GetString(i)),
                    ServerKind.Timestamp => Temporal(reader.GetString(i)) + "Z",
                    ServerKind.Bytes => (byte[])reader.GetValue(i),
                    ServerKind.Bit => Convert.ToUInt64(reader.GetValue(i), CultureInfo.InvariantCulture),
                    _ => null,
                };
            }
        }
        // Floats over the binary protocol: the exact IEEE bits, not the server's rounded text.
        if (columns.Any(c => c.Kind is ServerKind.Float or ServerKind.Double))
        {
            await using var conn = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { IgnorePrepare = false }.ConnectionString);
            await conn.OpenAsync();
            var floats = columns.Select((c, i) => (c, i)).Where(p => p.c.Kind is ServerKind.Float or ServerKind.Double).ToList();
            await using var cmd = new MySqlCommand($"SELECT {string.Join(", ", floats.Select(p => $"`{p.c.Name}`"))} FROM {table} WHERE `{key}` = @id", conn);
            cmd.Parameters.AddWithValue("@id", id);
            await cmd.PrepareAsync();
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            for (var n = 0; n < floats.Count; n++)
            {
                if (await reader.IsDBNullAsync(n)) continue;
                values[floats[n].i] = floats[n].c.Kind == ServerKind.Float
                    ? reader.GetFloat(n).ToString("R", CultureInfo.InvariantCulture)
                    : reader.GetDouble(n).ToString("R", CultureInfo.InvariantCulture);
            }
        }
        return values;
    }

    /// <summary>"2024-02-29 13:14:15.120000" -> "2024-02-29T13:14:15.12"; "-838:59:59.000000" -> "-838:59:59".</summary>
    public static string Temporal(string server)
    {
        var text = server.Replace(' ', 'T');
        var dot = text.IndexOf('.');
        if (dot < 0) return text;
        var fraction = text[(dot + 1)..].TrimEnd('0');
        return fraction.Length == 0 ? text[..dot] : text[..(dot + 1)] + fraction;
    }

    /// <summary>Compares one decoded row with the server's, column by column, naming the column that differs.</summary>
    public static void AssertRow(IReadOnlyList<ServerColumn> columns, object?[] expected, object?[] decoded, int offset = 0, string what = "")
    {
        for (var i = 0; i < columns.Count; i++)
        {
            var actual = decoded[i + offset];
            var want = expected[i];
            var same = (want, actual) switch
            {
                (null, null) => true,
                (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
                (ulong bits, byte[] b) => b.Length == BitBytes(columns[i].Definition) && BigEndian(b) == bits,
                (string a, string b) => a == b,
                _ => false,
            };
            Assert.True(same, $"{what}column {columns[i].Name} ({columns[i].Definition}): the server says {Show(want)}, the decoder {Show(actual)}");
        }
    }

    private static int BitBytes(string definition)
    {
        var open = definition.IndexOf('(');
        var bits = int.Parse(definition[(open + 1)..definition.IndexOf(')')], CultureInfo.InvariantCulture);
        return (bits + 7) / 8;
    }

    private static ulong BigEndian(byte[] bytes)
    {
        ulong value = 0;
        foreach (var b in bytes) value = value << 8 | b;
        return value;
    }

    private static string Show(object? value) => value switch
    {
        null => "NULL",
        byte[] b => "0x" + Convert.ToHexString(b) + $" ({b.Length} bytes)",
        string s => $"\"{s}\" ({value.GetType().Name})",
        _ => $"{value} ({value.GetType().Name})",
    };
}
