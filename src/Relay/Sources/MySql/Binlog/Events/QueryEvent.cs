namespace Relay.Sources.MySql.Binlog.Events;

/// <summary>
/// QUERY (2), and MariaDB's QUERY_COMPRESSED (165) once inflated: a statement logged as text. With row-based logging
/// these are transaction control ("BEGIN", "COMMIT" for non-transactional engines, "ROLLBACK") and DDL
/// ("ALTER TABLE ..."). <see cref="Schema"/> is the default database the statement ran in (it may be empty).
/// </summary>
internal sealed class QueryEvent : BinlogEvent
{
    public uint ThreadId { get; internal set; }

    public uint ExecutionTime { get; internal set; }

    public ushort ErrorCode { get; internal set; }

    public string Schema { get; internal set; } = "";

    public string Statement { get; internal set; } = "";

    /// <summary>True when it arrived as MariaDB's QUERY_COMPRESSED.</summary>
    public bool WasCompressed { get; internal set; }

    public bool IsBegin => ReferenceEquals(Statement, Begin) || Statement.Equals(Begin, StringComparison.OrdinalIgnoreCase);

    public bool IsCommit => ReferenceEquals(Statement, Commit) || Statement.Equals(Commit, StringComparison.OrdinalIgnoreCase);

    public bool IsRollback => ReferenceEquals(Statement, Rollback) || Statement.Equals(Rollback, StringComparison.OrdinalIgnoreCase);

    internal const string Begin = "BEGIN";
    internal const string Commit = "COMMIT";
    internal const string Rollback = "ROLLBACK";
}
