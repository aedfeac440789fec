namespace Relay.Binlog.Events;

/// <summary>The checksum algorithm a FORMAT_DESCRIPTION announces for the events after it (enum_binlog_checksum_alg).</summary>
public enum BinlogChecksum : byte
{
    None = 0,
    Crc32 = 1,
}
