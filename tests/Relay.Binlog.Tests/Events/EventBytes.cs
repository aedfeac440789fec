using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// Builds event bytes by hand from the documented layouts ("Binary Log Event Formats" in the MySQL internals manual,
/// libbinlogevents binlog_event.h): the v4 header (timestamp u32, type u8, server id u32, event size u32, log_pos u32,
/// flags u16), the body, and a CRC32 of both (IEEE, as zlib's crc32) when asked.
/// </summary>
internal static class EventBytes
{
    public static byte[] Event(byte type, ReadOnlySpan<byte> body, bool crc32 = true, uint logPosition = 0, ushort flags = 0,
        uint serverId = 1, uint timestamp = 1_700_000_000)
    {
        var size = 19 + body.Length + (crc32 ? 4 : 0);
        var bytes = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, timestamp);
        bytes[4] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(5), serverId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(9), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(13), logPosition);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(17), flags);
        body.CopyTo(bytes.AsSpan(19));
        if (crc32) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(size - 4), Crc32.HashToUInt32(bytes.AsSpan(0, size - 4)));
        return bytes;
    }

    /// <summary>
    /// A FORMAT_DESCRIPTION body (Format_description_event): binlog version 4, the server version in 50 bytes,
    /// creation time, header length 19, one post-header length per event type, then the checksum algorithm byte.
    /// </summary>
    public static byte[] FormatDescriptionBody(string serverVersion, byte checksumAlgorithm, IReadOnlyDictionary<int, byte> postHeaderLengths, int typeCount = 42)
    {
        var body = new byte[2 + 50 + 4 + 1 + typeCount + 1];
        BinaryPrimitives.WriteUInt16LittleEndian(body, 4);
        Encoding.ASCII.GetBytes(serverVersion, body.AsSpan(2));
        body[56] = 19;
        foreach (var (type, length) in postHeaderLengths) body[57 + type - 1] = length;
        body[^1] = checksumAlgorithm;
        return body;
    }

    /// <summary>The post-header lengths of a MySQL 8 server (binlog_event.h enum_post_header_length).</summary>
    public static readonly IReadOnlyDictionary<int, byte> MySql8PostHeaders = new Dictionary<int, byte>
    {
        [1] = 56, [2] = 13, [4] = 8, [15] = 98, [16] = 0, [19] = 8, [23] = 8, [24] = 8, [25] = 8, [26] = 2, [30] = 10, [31] = 10,
        [32] = 10, [33] = 42, [34] = 42, [35] = 0, [36] = 18, [37] = 52, [38] = 0, [39] = 10, [40] = 0, [41] = 0, [42] = 0,
    };

    /// <summary>A MySQL packed integer (net_store_length).</summary>
    public static byte[] Packed(ulong value) => value switch
    {
        < 251 => [(byte)value],
        <= 0xFFFF => [0xFC, (byte)value, (byte)(value >> 8)],
        <= 0xFFFFFF => [0xFD, (byte)value, (byte)(value >> 8), (byte)(value >> 16)],
        _ => [0xFE, .. BitConverter.GetBytes(value)],
    };

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] UInt16(ushort value) => BitConverter.GetBytes(value);

    public static byte[] UInt32(uint value) => BitConverter.GetBytes(value);

    public static byte[] UInt64(ulong value) => BitConverter.GetBytes(value);

    public static byte[] UInt48(ulong value) => BitConverter.GetBytes(value)[..6];

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
}
