namespace Relay.Binlog.Events;

/// <summary>MariaDB BINLOG_CHECKPOINT (161): the oldest binlog file crash recovery may still need.</summary>
internal sealed class BinlogCheckpointEvent : BinlogEvent
{
    public string CheckpointFileName { get; internal set; } = "";
}
