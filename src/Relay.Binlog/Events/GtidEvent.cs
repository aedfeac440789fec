using Relay.Binlog.Gtids;

namespace Relay.Binlog.Events;

/// <summary>
/// MySQL's GTID (33), ANONYMOUS_GTID (34) and tagged GTID (42, 8.3+): starts a transaction and names it. The
/// optional parts (logical clock, commit timestamps in microseconds since the epoch, transaction length, server
/// versions, commit group ticket) are null when the writer did not include them.
/// </summary>
public sealed class GtidEvent : BinlogEvent
{
    /// <summary>The GTID; for ANONYMOUS_GTID the UUID is empty and the number 0.</summary>
    public MySqlGtid Gtid { get; internal set; }

    public bool IsAnonymous => Type == BinlogEventType.AnonymousGtid;

    /// <summary>Bit 0: the transaction may contain statement-based events.</summary>
    public byte Flags { get; internal set; }

    public long? LastCommitted { get; internal set; }

    public long? SequenceNumber { get; internal set; }

    public ulong? ImmediateCommitTimestamp { get; internal set; }

    public ulong? OriginalCommitTimestamp { get; internal set; }

    public ulong? TransactionLength { get; internal set; }

    public uint? ImmediateServerVersion { get; internal set; }

    public uint? OriginalServerVersion { get; internal set; }

    public ulong? CommitGroupTicket { get; internal set; }

    internal void Clear()
    {
        Gtid = default;
        Flags = 0;
        LastCommitted = SequenceNumber = null;
        ImmediateCommitTimestamp = OriginalCommitTimestamp = TransactionLength = CommitGroupTicket = null;
        ImmediateServerVersion = OriginalServerVersion = null;
    }
}
