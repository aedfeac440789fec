using MySqlConnector;

namespace Relay.Binlog.Events;

/// <summary>
/// A table's columns as information_schema describes them: what the binlog leaves out unless
/// binlog_row_metadata=FULL (names, charsets, signedness, ENUM/SET labels), and what it never says (MariaDB's UUID,
/// INET6 and INET4 types, logged as BINARY(n)). The catalog describes the table as it
/// is now, not as it was when older events were logged, which is why FULL metadata is the recommended setting.
/// </summary>
public static class InformationSchemaColumns
{
    /// <summary>The columns of <paramref name="schema"/>.<paramref name="table"/>, or null when there is no such table.</summary>
    public static async Task<TableColumns?> LoadAsync(MySqlConnection connection, string schema, string table, CancellationToken cancellationToken)
    {
        var rows = new List<(string Name, string? Charset, string Type, string DataType)>();
        await using (var command = new MySqlCommand(
                         "SELECT COLUMN_NAME, CHARACTER_SET_NAME, COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS " +
                         "WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION", connection))
        {
            command.Parameters.AddWithValue("@schema", schema);
            command.Parameters.AddWithValue("@table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        if (rows.Count == 0) return null;
        var columns = new TableColumns(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var (name, charset, type, dataType) = rows[i];
            columns.Names[i] = name;
            columns.Types[i] = BinlogType(dataType);
            columns.DataTypes[i] = dataType.ToLowerInvariant();
            columns.Unsigned[i] = type.Contains("unsigned", StringComparison.OrdinalIgnoreCase);
            // BLOBs and BINARY columns have no character set in information_schema: they are binary.
            columns.SetCharset(i, charset ?? "binary");
            if (type.StartsWith("enum(", StringComparison.OrdinalIgnoreCase)) columns.EnumValues[i] = Labels(type);
            if (type.StartsWith("set(", StringComparison.OrdinalIgnoreCase)) columns.SetValues[i] = Labels(type);
        }
        return columns;
    }

    /// <summary>
    /// The type a column of this DATA_TYPE has in a TABLE_MAP, or null for a type not listed (not checked then). MariaDB
    /// reports its JSON as longtext; its UUID and INET types are not listed.
    /// </summary>
    internal static MySqlColumnType? BinlogType(string dataType) => dataType.ToLowerInvariant() switch
    {
        "tinyint" => MySqlColumnType.Tiny,
        "smallint" => MySqlColumnType.Short,
        "mediumint" => MySqlColumnType.Int24,
        "int" or "integer" => MySqlColumnType.Long,
        "bigint" => MySqlColumnType.LongLong,
        "float" => MySqlColumnType.Float,
        "double" or "real" => MySqlColumnType.Double,
        "decimal" or "numeric" => MySqlColumnType.NewDecimal,
        "date" => MySqlColumnType.Date,
        "time" => MySqlColumnType.Time2,
        "datetime" => MySqlColumnType.DateTime2,
        "timestamp" => MySqlColumnType.Timestamp2,
        "year" => MySqlColumnType.Year,
        "char" or "binary" or "enum" or "set" => MySqlColumnType.String,
        "varchar" or "varbinary" => MySqlColumnType.VarChar,
        "tinytext" or "text" or "mediumtext" or "longtext" or "tinyblob" or "blob" or "mediumblob" or "longblob" => MySqlColumnType.Blob,
        "json" => MySqlColumnType.Json,
        "bit" => MySqlColumnType.Bit,
        "geometry" or "point" or "linestring" or "polygon" or "multipoint" or "multilinestring" or "multipolygon" or
            "geometrycollection" or "geomcollection" => MySqlColumnType.Geometry,
        _ => null,
    };

    /// <summary>enum('a','b''c') → a, b'c.</summary>
    private static string[] Labels(string type)
    {
        var body = type[(type.IndexOf('(') + 1)..type.LastIndexOf(')')];
        var labels = new List<string>();
        var i = 0;
        while (i < body.Length)
        {
            if (body[i] != '\'') { i++; continue; }
            var label = new System.Text.StringBuilder();
            for (i++; i < body.Length; i++)
            {
                if (body[i] == '\'' && i + 1 < body.Length && body[i + 1] == '\'') { label.Append('\''); i++; }
                else if (body[i] == '\'') { i++; break; }
                else label.Append(body[i]);
            }
            labels.Add(label.ToString());
        }
        return labels.ToArray();
    }
}
