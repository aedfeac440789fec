namespace Relay.Binlog.Events;

/// <summary>
/// QUERY (2), and MariaDB's QUERY_COMPRESSED (165) once inflated: a statement logged as text. With row-based logging
/// these are transaction control ("BEGIN", "COMMIT" for non-transactional engines, "ROLLBACK") and DDL
/// ("ALTER TABLE ..."). <see cref="Schema"/> is the default database the statement ran in (it may be empty). The
/// statement is decoded (by character_set_client) when first asked for; BEGIN, COMMIT and ROLLBACK never allocate.
/// </summary>
public sealed class QueryEvent : BinlogEvent
{
    internal const string Begin = "BEGIN";
    internal const string Commit = "COMMIT";
    internal const string Rollback = "ROLLBACK";

    private ReadOnlyMemory<byte> _statementBytes;
    private int _clientCollation;
    private string? _statement;

    public uint ThreadId { get; internal set; }

    public uint ExecutionTime { get; internal set; }

    public ushort ErrorCode { get; internal set; }

    public string Schema { get; internal set; } = "";

    public string Statement => _statement ??= Decode(_statementBytes.Span, _clientCollation);

    /// <summary>True when it arrived as MariaDB's QUERY_COMPRESSED.</summary>
    public bool WasCompressed { get; internal set; }

    public bool IsBegin => _statementBytes.Span.SequenceEqual("BEGIN"u8);

    public bool IsCommit => _statementBytes.Span.SequenceEqual("COMMIT"u8);

    public bool IsRollback => _statementBytes.Span.SequenceEqual("ROLLBACK"u8);

    internal void SetStatement(ReadOnlyMemory<byte> bytes, int clientCollation)
    {
        _statementBytes = bytes;
        _clientCollation = clientCollation;
        _statement = null;
    }

    private static string Decode(ReadOnlySpan<byte> bytes, int clientCollation)
    {
        if (bytes.SequenceEqual("BEGIN"u8)) return Begin;
        if (bytes.SequenceEqual("COMMIT"u8)) return Commit;
        if (bytes.SequenceEqual("ROLLBACK"u8)) return Rollback;
        var charset = MySqlCollations.Charset(clientCollation);
        return charset is MySqlCharset.Unknown or MySqlCharset.Binary
            ? BinlogText.Utf8(bytes, "the statement")
            : MySqlText.Decode(charset, bytes, $"character_set_client {MySqlCollations.CharsetName(clientCollation)}");
    }
}
