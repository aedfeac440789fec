using System.Buffers.Binary;

namespace Relay.Binlog.Events;

/// <summary>The 19-byte v4 event header that starts every event, little-endian.</summary>
public readonly record struct BinlogEventHeader(
    uint Timestamp, BinlogEventType Type, uint ServerId, uint EventSize, uint LogPosition, BinlogEventFlags Flags)
{
    public const int Length = 19;

    /// <summary>Where the event starts in its file, when the sender filled in log_pos (the end of the event); else -1.</summary>
    public long StartPosition => LogPosition >= EventSize && LogPosition != 0 ? LogPosition - (long)EventSize : -1;

    public static BinlogEventHeader Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        (BinlogEventType)bytes[4],
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[5..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[9..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[13..]),
        (BinlogEventFlags)BinaryPrimitives.ReadUInt16LittleEndian(bytes[17..]));
}
