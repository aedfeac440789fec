namespace Relay.Binlog.Events;

/// <summary>
/// ROTATE (4): the stream continues in <see cref="NextFileName"/> at <see cref="Position"/>. Written at the end of a
/// file, and sent as a fake (artificial, log_pos 0) event at the start of a dump to name the file.
/// </summary>
public sealed class RotateEvent : BinlogEvent
{
    public ulong Position { get; internal set; }

    public string NextFileName { get; internal set; } = "";

    public bool IsArtificial => (Header.Flags & BinlogEventFlags.Artificial) != 0;
}
