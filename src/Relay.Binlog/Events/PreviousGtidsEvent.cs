using Relay.Binlog.Gtids;

namespace Relay.Binlog.Events;

/// <summary>MySQL's PREVIOUS_GTIDS (35), after the FORMAT_DESCRIPTION of each file: the GTIDs of all earlier files.</summary>
internal sealed class PreviousGtidsEvent : BinlogEvent
{
    public MySqlGtidSet GtidSet { get; internal set; } = new();
}
