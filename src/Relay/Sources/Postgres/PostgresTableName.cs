namespace Relay.Sources.Postgres;

/// <summary>A schema-qualified table name from configuration ("outbox", "public.outbox", "\"My\".\"Outbox\"").</summary>
public readonly record struct PostgresTableName(string Schema, string Table)
{
    /// <summary>The name quoted for SQL text.</summary>
    public string Quoted => $"{Quote(Schema)}.{Quote(Table)}";

    public static bool TryParse(string? text, out PostgresTableName name, out string? problem)
    {
        name = default;
        // Unquoted identifiers fold to lower case, as in SQL.
        if (!SqlNameParts.TrySplit(text, '"', part => part.ToLowerInvariant(), out var parts, out problem)) return false;
        if (parts.Count > 2) { problem = "use table or schema.table"; return false; }
        name = parts.Count == 1 ? new PostgresTableName("public", parts[0]) : new PostgresTableName(parts[0], parts[1]);
        return true;
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public override string ToString() => Quoted;
}
