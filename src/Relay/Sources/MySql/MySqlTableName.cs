namespace Relay.Sources.MySql;

/// <summary>
/// A table name from configuration: "outbox" (in the connection's database), "shop.outbox" or "`my db`.`outbox`".
/// MySQL and MariaDB compare names as stored (case-sensitive on Linux unless lower_case_table_names is set).
/// </summary>
public readonly record struct MySqlTableName(string Schema, string Table)
{
    /// <summary>The name quoted for SQL text.</summary>
    public string Quoted => $"{Quote(Schema)}.{Quote(Table)}";

    /// <summary>Parses <paramref name="text"/>; a name without a schema takes <paramref name="defaultSchema"/> (the connection's database).</summary>
    public static bool TryParse(string? text, string? defaultSchema, out MySqlTableName name, out string? problem)
    {
        name = default;
        // Names compare as stored: unquoted parts keep their case.
        if (!SqlNameParts.TrySplit(text, '`', part => part, out var parts, out problem)) return false;
        if (parts.Count > 2) { problem = "use table or database.table"; return false; }
        if (parts.Count == 1 && string.IsNullOrEmpty(defaultSchema))
        {
            problem = "it names no database and the connection string has none (Database=...)";
            return false;
        }
        name = parts.Count == 1 ? new MySqlTableName(defaultSchema!, parts[0]) : new MySqlTableName(parts[0], parts[1]);
        return true;
    }

    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``") + "`";

    public override string ToString() => Quoted;
}
