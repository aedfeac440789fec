namespace Relay.Binlog.Events;

/// <summary>
/// What WRITE/UPDATE/DELETE rows events share: the table id of the TABLE_MAP before them, the flags, the format
/// version (v1: 23-25 and MariaDB's 166-168; v2: 30-32 with an extra-data block, and 169-171) and whether MariaDB
/// compressed the rows. <see cref="Table"/> is null for tables the caller did not ask for, whose rows are never
/// decoded.
/// </summary>
public abstract class RowsEvent : BinlogEvent
{
    public ulong TableId { get; internal set; }

    public RowsEventFlags Flags { get; internal set; }

    /// <summary>1 or 2.</summary>
    public int Version { get; internal set; }

    /// <summary>True when the event came as one of MariaDB's *_ROWS_COMPRESSED types.</summary>
    public bool WasCompressed { get; internal set; }

    /// <summary>The table when the caller asked for it, else null (its rows are skipped).</summary>
    public BinlogTable? Table { get; internal set; }

    /// <summary>The v2 extra-row-info block (NDB info, partition id), empty for v1; valid until the next read.</summary>
    public ReadOnlyMemory<byte> ExtraData { get; internal set; }
}
