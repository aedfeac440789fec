namespace Relay.Binlog.Tests.Protocol;

/// <summary>CRC-32 (IEEE 802.3, zlib's), the binlog event checksum: lets a test prove an event arrived intact.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }

    /// <summary>True when the event's last 4 bytes are the CRC-32 of the rest.</summary>
    public static bool EventChecksumMatches(ReadOnlySpan<byte> e) =>
        Compute(e[..^4]) == System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(e[^4..]);
}
