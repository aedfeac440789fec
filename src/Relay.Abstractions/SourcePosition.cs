namespace Relay;

/// <summary>
/// Where a source stands: opaque to sinks, which store it verbatim beside the messages it covers.
/// Each source defines its own encoding (an LSN, a binlog file/offset or GTID set, polled row ids)
/// and a position covers everything the source produced before it.
/// </summary>
public readonly record struct SourcePosition(string Value)
{
    public override string ToString() => Value;
}

/// <summary>A run of rows in commit order and the source position just after the last of them.</summary>
public sealed record SourceBatch(IReadOnlyList<OutboxRow> Rows, SourcePosition Position)
{
    /// <summary>When the source transaction of the last row committed, as the database recorded it; null when the source cannot tell.</summary>
    public DateTimeOffset? CommitTime { get; init; }
}
