using Relay.Binlog.Gtids;

namespace Relay.Binlog.Events;

/// <summary>MariaDB's GTID_LIST (163), near the start of each file: the last GTID of each domain before this file.</summary>
internal sealed class MariaDbGtidListEvent : BinlogEvent
{
    public IReadOnlyList<MariaDbGtid> Gtids { get; internal set; } = [];

    /// <summary>The 4 high bits of the count field (GTID_LIST flags).</summary>
    public byte ListFlags { get; internal set; }
}
