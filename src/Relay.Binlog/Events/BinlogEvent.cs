namespace Relay.Binlog.Events;

/// <summary>
/// One decoded event. Like Npgsql's replication messages, the decoder reuses one instance per event kind for the
/// frequent events (GTID, TABLE_MAP, rows, XID, QUERY), so an event and whatever it exposes as memory are valid only
/// until the decoder's next <see cref="BinlogEventDecoder.TryRead"/> or <see cref="BinlogEventDecoder.Feed"/>: copy
/// what you keep. Strings, <see cref="BinlogTable"/> and GTID values are immutable and may be kept.
/// </summary>
public abstract class BinlogEvent
{
    public BinlogEventHeader Header { get; private set; }

    public BinlogEventType Type => Header.Type;

    /// <summary>The binlog file the event belongs to: the last ROTATE's, or what the caller set on the decoder.</summary>
    public string? FileName { get; private set; }

    /// <summary>True for an event unpacked from a TRANSACTION_PAYLOAD (its header's positions are the payload's own).</summary>
    public bool InPayload { get; private set; }

    internal void SetHeader(in BinlogEventHeader header, string? fileName, bool inPayload)
    {
        Header = header;
        FileName = fileName;
        InPayload = inPayload;
    }

    public override string ToString() => $"{Type} {FileName}:{Header.StartPosition}";
}
