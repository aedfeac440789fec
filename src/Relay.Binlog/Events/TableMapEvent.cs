namespace Relay.Binlog.Events;

/// <summary>
/// TABLE_MAP (19): binds a table id to a table definition for the rows events after it. Only tables the caller asked
/// for are decoded into a <see cref="BinlogTable"/>; for the others <see cref="Table"/> is null and only the id and
/// the names' bytes (valid until the next read) are exposed, so they cost no allocation.
/// </summary>
internal sealed class TableMapEvent : BinlogEvent
{
    public ulong TableId { get; internal set; }

    public ushort Flags { get; internal set; }

    /// <summary>The decoded table when it is one the caller asked for, else null.</summary>
    public BinlogTable? Table { get; internal set; }

    public ReadOnlyMemory<byte> SchemaUtf8 { get; internal set; }

    public ReadOnlyMemory<byte> TableNameUtf8 { get; internal set; }
}
