using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Relay.Binlog.Events;

/// <summary>
/// MariaDB's UUID, INET6 and INET4 values as SELECT prints them, from the bytes the binlog carries (which are the
/// value in its text order, checked against MariaDB 10.11: a version-1 UUID is logged unswapped too).
/// </summary>
internal static class MariaDbFixedBinaryText
{
    /// <summary>8-4-4-4-12 lower-case hex.</summary>
    public static string Uuid(ReadOnlySpan<byte> bytes) => string.Create(36, bytes.ToArray(), static (chars, b) =>
    {
        var at = 0;
        for (var i = 0; i < 16; i++)
        {
            if (i is 4 or 6 or 8 or 10) chars[at++] = '-';
            chars[at++] = "0123456789abcdef"[b[i] >> 4];
            chars[at++] = "0123456789abcdef"[b[i] & 0xF];
        }
    });

    public static string Inet4(ReadOnlySpan<byte> bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes[0]}.{bytes[1]}.{bytes[2]}.{bytes[3]}");

    /// <summary>
    /// Inet6::to_string: groups in lower-case hex without leading zeros; the first longest run of zero groups (even a
    /// single one) becomes "::"; when that run is the first 6 groups (IPv4-compatible) or the first 5 followed by
    /// ffff (IPv4-mapped), the last 32 bits print as a dotted quad.
    /// </summary>
    public static string Inet6(ReadOnlySpan<byte> bytes)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (var i = 0; i < 8; i++) groups[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        int gapStart = -1, gapLength = 0;
        for (var i = 0; i < 8;)
        {
            if (groups[i] != 0) { i++; continue; }
            var start = i;
            while (i < 8 && groups[i] == 0) i++;
            if (i - start > gapLength) (gapStart, gapLength) = (start, i - start);
        }
        var text = new StringBuilder(41);
        if (gapStart == 0 && (gapLength == 6 || gapLength == 5 && groups[5] == 0xFFFF))
        {
            text.Append(gapLength == 5 ? "::ffff:" : "::").Append(Inet4(bytes[12..]));
            return text.ToString();
        }
        for (var i = 0; i < 8; i++)
        {
            if (i == gapStart)
            {
                text.Append("::");
                i += gapLength - 1;
                continue;
            }
            if (text.Length > 0 && text[^1] != ':') text.Append(':');
            text.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
