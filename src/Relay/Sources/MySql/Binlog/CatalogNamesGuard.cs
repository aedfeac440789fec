using Relay.Binlog.Events;
using Relay.Binlog.Protocol;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Without binlog_row_metadata=FULL the binlog does not name a row's columns, so Relay names them from
/// information_schema, which describes the outbox as it is when the source starts, not as it was when a row was
/// logged. This guard keeps those names off rows logged under another shape, and stops the source instead:
/// <list type="bullet">
/// <item>a TABLE_MAP whose column count or types differ from the catalog's (the decoder's
/// <see cref="BinlogTableChangedException"/>): rows logged before an ALTER that added, dropped or retyped a column;</item>
/// <item>DDL of the outbox between the resume position and the catalog read (<see cref="ScanAsync"/>, before anything
/// is published): a rename or reorder keeps the shape, so the names would silently move to other values;</item>
/// <item>DDL of the outbox met while streaming: rows after it have a shape the catalog read before it does not know.</item>
/// </list>
/// </summary>
internal sealed class CatalogNamesGuard(string sourceName, MySqlTableName table)
{
    private static readonly string[] DdlVerbs = ["ALTER", "RENAME", "DROP", "CREATE"];

    /// <summary>
    /// Whether a logged statement may change the outbox's columns: ALTER, RENAME, DROP or CREATE naming a table of the
    /// outbox's name (in any case and any database: a false alarm only stops the source, a miss would misname rows).
    /// </summary>
    public bool IsOutboxDdl(QueryEvent query)
    {
        if (query.IsBegin || query.IsCommit || query.IsRollback) return false;
        var statement = SkipComments(query.Statement.AsSpan());
        var verb = false;
        foreach (var word in DdlVerbs)
        {
            if (statement.StartsWith(word, StringComparison.OrdinalIgnoreCase) && (statement.Length == word.Length || !IsIdentifierChar(statement[word.Length])))
                verb = true;
        }
        return verb && NamesIdentifier(statement, table.Table);
    }

    /// <summary>The error for DDL of the outbox at <paramref name="file"/>:<paramref name="position"/>.</summary>
    public RelayFatalException Altered(QueryEvent query, string file, long position, bool beforeStart)
    {
        var statement = query.Statement.Length > 200 ? query.Statement[..200] + "..." : query.Statement;
        var when = beforeStart
            ? "after the committed position, before this start read the table's columns"
            : "while this source was reading it";
        return new RelayFatalException(
            $"Source '{sourceName}': the outbox table {table} was changed at {file}:{position} ({statement}), {when}. The server logs without " +
            "binlog_row_metadata=FULL, so the binlog does not name the columns of the rows on the other side of that change, and the names Relay " +
            $"has (information_schema's) may not be theirs; Relay stops rather than publish values under wrong names. {Remedy}");
    }

    /// <summary>The error for a TABLE_MAP that disagrees with the catalog's columns.</summary>
    public RelayFatalException Changed(BinlogTableChangedException e)
    {
        var where = e.FileName is not null && e.Position >= 0 ? $"{e.FileName}:{e.Position}" : e.Position >= 0 ? $"position {e.Position}" : "an unknown position";
        var column = e.ColumnName is not null ? $"column '{e.ColumnName}'" : "a column";
        return new RelayFatalException(
            $"Source '{sourceName}': rows of the outbox table {table} at {where} were logged when the table had other columns than it has now " +
            $"({column}: {e.Problem}). The server logs without binlog_row_metadata=FULL, so the binlog does not name the columns, and Relay " +
            $"stops rather than publish values under names that may not be theirs. {Remedy}", e);
    }

    private string Remedy =>
        "Remedy: SET GLOBAL binlog_row_metadata = 'FULL' (and set it in the server's configuration), so that rows logged from then on " +
        "carry their column names; publish the outbox rows logged before that with a MySqlPolling source (they stay in the table until it " +
        $"deletes them), then `Relay offsets reset --source {sourceName} --delete`, so that this source starts again where the binlog stands.";

    /// <summary>
    /// Reads the binlog from <paramref name="start"/> up to <paramref name="untilFile"/>:<paramref name="untilPosition"/>
    /// (where it stood once the catalog was read), decoding no rows, and throws <see cref="Altered"/> at the first DDL of
    /// the outbox: the catalog's names would be wrong for the rows before it.
    /// </summary>
    public async Task ScanAsync(BinlogClientOptions options, BinlogStartPosition start, string untilFile, ulong untilPosition, CancellationToken cancellationToken)
    {
        if (start.Kind == BinlogStartKind.File && Reached(start.FileName, start.Position, untilFile, untilPosition)) return;
        await using var client = await BinlogClient.ConnectAsync(new BinlogClientOptions
        {
            ConnectionString = options.ConnectionString,
            ServerId = options.ServerId,
            HeartbeatInterval = options.HeartbeatInterval,
            NonBlocking = true,
        }, cancellationToken);
        using var decoder = new BinlogEventDecoder(new BinlogDecoderOptions { NegotiatedChecksum = MySqlBinlogSource.ChecksumOf(client) });
        await client.StartAsync(start, cancellationToken);
        while (await client.ReadEventAsync(cancellationToken))
        {
            decoder.Feed(client.Event);
            while (decoder.TryRead(out var e))
            {
                if (e is QueryEvent query && IsOutboxDdl(query))
                    throw Altered(query, e.FileName ?? "?", e.Header.StartPosition, beforeStart: true);
                var file = e is HeartbeatEvent { LogFileName.Length: > 0 } heartbeat ? heartbeat.LogFileName : e.FileName;
                if (file is not null && e.Header.LogPosition > 0 && !e.InPayload && Reached(file, e.Header.LogPosition, untilFile, untilPosition))
                {
                    while (decoder.TryRead(out _)) { }
                    return;
                }
            }
        }
    }

    private static bool Reached(string file, ulong position, string untilFile, ulong untilPosition)
    {
        var files = BinlogPosition.CompareFiles(file, untilFile);
        return files > 0 || files == 0 && position >= untilPosition;
    }

    /// <summary>The statement after leading blanks and /* */ comments (MariaDB prefixes some DDL with them).</summary>
    private static ReadOnlySpan<char> SkipComments(ReadOnlySpan<char> text)
    {
        while (true)
        {
            text = text.TrimStart();
            if (!text.StartsWith("/*", StringComparison.Ordinal)) return text;
            var end = text.IndexOf("*/", StringComparison.Ordinal);
            if (end < 0) return [];
            text = text[(end + 2)..];
        }
    }

    private static bool NamesIdentifier(ReadOnlySpan<char> text, string name)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf(name, StringComparison.OrdinalIgnoreCase);
            if (at < 0) return false;
            at += from;
            var end = at + name.Length;
            if ((at == 0 || !IsIdentifierChar(text[at - 1])) && (end == text.Length || !IsIdentifierChar(text[end]))) return true;
            from = at + 1;
        }
        return false;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
