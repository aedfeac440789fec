namespace Relay.Binlog.Events;

/// <summary>
/// HEARTBEAT (27) and HEARTBEAT_v2 (41): sent while the source is idle, naming the file and the position the
/// stream has reached (v1: the header's log_pos; v2: a 64-bit position field).
/// </summary>
public sealed class HeartbeatEvent : BinlogEvent
{
    public string LogFileName { get; internal set; } = "";

    public ulong LogPosition { get; internal set; }

    public int Version => Type == BinlogEventType.HeartbeatV2 ? 2 : 1;
}
