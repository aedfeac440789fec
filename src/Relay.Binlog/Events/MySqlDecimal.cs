using System.Buffers.Binary;

namespace Relay.Binlog.Events;

/// <summary>
/// MySQL's binary DECIMAL (strings/decimal.cc, decimal2bin/bin2decimal): the integer and fraction digits in groups of
/// nine stored as big-endian 4-byte words, with a shorter leading (integer) and trailing (fraction) partial group;
/// the sign bit of the first byte is flipped (set = non-negative) and a negative number has every byte inverted.
/// </summary>
internal static class MySqlDecimal
{
    private const int DigitsPerWord = 9;
    private static ReadOnlySpan<byte> BytesForDigits => [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

    public static int BinarySize(int precision, int scale)
    {
        var integer = precision - scale;
        return integer / DigitsPerWord * 4 + BytesForDigits[integer % DigitsPerWord] +
               scale / DigitsPerWord * 4 + BytesForDigits[scale % DigitsPerWord];
    }

    /// <summary>The value as plain text keeping the declared scale ("12.50", "-0.001").</summary>
    public static string ToText(ReadOnlySpan<byte> bytes, int precision, int scale)
    {
        var size = BinarySize(precision, scale);
        if (bytes.Length != size)
            throw new BinlogFormatException($"DECIMAL({precision},{scale}) takes {size} bytes, not {bytes.Length}");
        Span<byte> value = stackalloc byte[size];
        bytes.CopyTo(value);
        var negative = (value[0] & 0x80) == 0;
        value[0] ^= 0x80;
        if (negative)
            for (var i = 0; i < value.Length; i++) value[i] = (byte)~value[i];

        var integer = precision - scale;
        Span<char> digits = stackalloc char[precision];
        var at = 0;
        var offset = 0;
        Group(value, ref offset, digits, ref at, integer % DigitsPerWord);
        for (var i = 0; i < integer / DigitsPerWord; i++) Group(value, ref offset, digits, ref at, DigitsPerWord);
        for (var i = 0; i < scale / DigitsPerWord; i++) Group(value, ref offset, digits, ref at, DigitsPerWord);
        Group(value, ref offset, digits, ref at, scale % DigitsPerWord);
        return MySqlValueText.Decimal(negative, digits, scale);
    }

    /// <summary>Reads one group of <paramref name="count"/> digits (a big-endian integer of 0-4 bytes) as zero-padded text.</summary>
    private static void Group(ReadOnlySpan<byte> value, ref int offset, Span<char> digits, ref int at, int count)
    {
        if (count == 0) return;
        var size = BytesForDigits[count];
        uint word = size switch
        {
            1 => value[offset],
            2 => BinaryPrimitives.ReadUInt16BigEndian(value[offset..]),
            3 => (uint)(value[offset] << 16 | value[offset + 1] << 8 | value[offset + 2]),
            _ => BinaryPrimitives.ReadUInt32BigEndian(value[offset..]),
        };
        offset += size;
        for (var i = at + count - 1; i >= at; i--)
        {
            digits[i] = (char)('0' + word % 10);
            word /= 10;
        }
        if (word != 0) throw new BinlogFormatException($"a DECIMAL digit group holds more than {count} digits");
        at += count;
    }
}
