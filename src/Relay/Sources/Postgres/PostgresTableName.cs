namespace Relay.Sources.Postgres;

/// <summary>A schema-qualified table name from configuration ("outbox", "public.outbox", "\"My\".\"Outbox\"").</summary>
public readonly record struct PostgresTableName(string Schema, string Table)
{
    /// <summary>The name quoted for SQL text.</summary>
    public string Quoted => $"{Quote(Schema)}.{Quote(Table)}";

    public static bool TryParse(string? text, out PostgresTableName name, out string? problem)
    {
        name = default;
        problem = null;
        if (string.IsNullOrWhiteSpace(text)) { problem = "it is empty"; return false; }
        var parts = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            string part;
            if (text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0) { problem = "a quoted name is not closed"; return false; }
                part = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf('.', i);
                if (end < 0) end = text.Length;
                part = text[i..end].Trim().ToLowerInvariant(); // unquoted identifiers fold to lower case, as in SQL
                i = end;
            }
            if (part.Length == 0) { problem = "a name part is empty"; return false; }
            parts.Add(part);
            if (i < text.Length)
            {
                if (text[i] != '.') { problem = $"unexpected '{text[i]}' at position {i}"; return false; }
                i++;
            }
        }
        if (parts.Count > 2) { problem = "use table or schema.table"; return false; }
        name = parts.Count == 1 ? new PostgresTableName("public", parts[0]) : new PostgresTableName(parts[0], parts[1]);
        return true;
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public override string ToString() => Quoted;
}
