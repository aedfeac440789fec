namespace Relay.Binlog.Events;

/// <summary>XID (16): the commit of a transaction on a transactional engine; ends the transaction's events.</summary>
public sealed class XidEvent : BinlogEvent
{
    public ulong Xid { get; internal set; }
}
