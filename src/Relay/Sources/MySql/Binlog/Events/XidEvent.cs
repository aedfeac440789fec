namespace Relay.Sources.MySql.Binlog.Events;

/// <summary>XID (16): the commit of a transaction on a transactional engine; ends the transaction's events.</summary>
internal sealed class XidEvent : BinlogEvent
{
    public ulong Xid { get; internal set; }
}
