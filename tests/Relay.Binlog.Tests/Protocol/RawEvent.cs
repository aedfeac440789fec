using System.Buffers.Binary;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>The few v4 event header fields the transport tests need; decoding is the event layer's job.</summary>
internal static class RawEvent
{
    public const byte QueryEvent = 2;
    public const byte Rotate = 4;
    public const byte FormatDescription = 15;
    public const byte Xid = 16;
    public const byte TableMap = 19;
    public const byte WriteRowsV1 = 23;
    public const byte Heartbeat = 27;
    public const byte MariaDbGtidList = 163;
    public const byte MariaDbAnnotateRows = 160;
    public const byte MariaDbBinlogCheckpoint = 161;
    public const byte MariaDbGtid = 162;

    public static byte Type(ReadOnlySpan<byte> e) => e[4];

    public static uint Size(ReadOnlySpan<byte> e) => BinaryPrimitives.ReadUInt32LittleEndian(e[9..]);

    public static uint LogPosition(ReadOnlySpan<byte> e) => BinaryPrimitives.ReadUInt32LittleEndian(e[13..]);

    public static bool Contains(ReadOnlySpan<byte> e, string text) => e.IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
}
