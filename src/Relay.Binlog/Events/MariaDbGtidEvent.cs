using Relay.Binlog.Gtids;

namespace Relay.Binlog.Events;

/// <summary>
/// MariaDB's GTID (162): starts an event group (a transaction, or a standalone statement) in place of a BEGIN query.
/// The server id of the GTID is the event header's.
/// </summary>
public sealed class MariaDbGtidEvent : BinlogEvent
{
    public MariaDbGtid Gtid { get; internal set; }

    public MariaDbGtidFlags Flags { get; internal set; }

    /// <summary>The group commit id when <see cref="MariaDbGtidFlags.GroupCommitId"/> is set.</summary>
    public ulong? CommitId { get; internal set; }

    /// <summary>The XA transaction id (format id, gtrid and bqual lengths, data) of an XA event group, else empty.</summary>
    public ReadOnlyMemory<byte> Xid { get; internal set; }

    /// <summary>The extra flags byte of MariaDB 10.5+ (multi-engine, ALTER phases), when present.</summary>
    public byte? ExtraFlags { get; internal set; }

    public bool IsStandalone => (Flags & MariaDbGtidFlags.Standalone) != 0;
}
