namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// The statements a row-based binlog still logs as text that decide what becomes of rows: XA decisions
/// (<c>XA COMMIT X'..',X'..',n</c>, <c>XA ROLLBACK …</c>), the start of a MySQL XA branch (<c>XA START …</c>, which is not
/// DDL), and savepoints (<c>SAVEPOINT `s`</c>, <c>ROLLBACK TO `s`</c>), logged inside a group when it also changed a
/// non-transactional table.
/// </summary>
internal static class BinlogStatement
{
    public static bool IsXaStart(string statement) => statement.StartsWith("XA START", StringComparison.OrdinalIgnoreCase);

    /// <summary>An XA COMMIT or XA ROLLBACK of a prepared branch, with its XID in <see cref="Relay.Binlog.Events.XaPrepareEvent.Xid"/>'s form.</summary>
    public static bool TryParseXaDecision(string statement, out bool commit, out string xid)
    {
        xid = "";
        commit = statement.StartsWith("XA COMMIT ", StringComparison.OrdinalIgnoreCase);
        if (!commit && !statement.StartsWith("XA ROLLBACK ", StringComparison.OrdinalIgnoreCase)) return false;
        var text = statement.AsSpan(commit ? "XA COMMIT ".Length : "XA ROLLBACK ".Length).Trim();
        if (text.EndsWith("ONE PHASE", StringComparison.OrdinalIgnoreCase)) return false; // committed where its rows are logged
        xid = text.ToString().ToLowerInvariant().Replace("x'", "X'", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        return xid.Length > 0;
    }

    public static bool TryParseSavepoint(string statement, out string name) => TryParseName(statement, "SAVEPOINT", out name);

    public static bool TryParseRollbackTo(string statement, out string name)
    {
        name = "";
        if (!statement.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase)) return false;
        var rest = statement.AsSpan("ROLLBACK".Length).TrimStart();
        if (rest.StartsWith("WORK", StringComparison.OrdinalIgnoreCase)) rest = rest[4..].TrimStart();
        if (!rest.StartsWith("TO", StringComparison.OrdinalIgnoreCase)) return false;
        rest = rest[2..].TrimStart();
        if (rest.StartsWith("SAVEPOINT", StringComparison.OrdinalIgnoreCase)) rest = rest["SAVEPOINT".Length..];
        return TryReadName(rest.Trim(), out name);
    }

    private static bool TryParseName(string statement, string keyword, out string name)
    {
        name = "";
        if (!statement.StartsWith(keyword, StringComparison.OrdinalIgnoreCase) || statement.Length == keyword.Length || !char.IsWhiteSpace(statement[keyword.Length]))
            return false;
        return TryReadName(statement.AsSpan(keyword.Length).Trim(), out name);
    }

    /// <summary>A savepoint name, `quoted` (`` for a backquote) or bare; savepoint names compare case-insensitively.</summary>
    private static bool TryReadName(ReadOnlySpan<char> text, out string name)
    {
        name = "";
        if (text.IsEmpty) return false;
        if (text[0] != '`')
        {
            name = text.ToString().ToLowerInvariant();
            return true;
        }
        var builder = new System.Text.StringBuilder();
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] != '`')
            {
                builder.Append(text[i]);
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '`')
            {
                builder.Append('`');
                i++;
                continue;
            }
            name = builder.ToString().ToLowerInvariant();
            return true;
        }
        return false;
    }
}
