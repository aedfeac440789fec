namespace Relay.Sources.Postgres;

/// <summary>bytea's text output: hex ("\x0a0b", the default) or escape (bytea_output = escape).</summary>
internal static class ByteaText
{
    public static byte[] Decode(ReadOnlySpan<byte> text)
    {
        if (text.Length >= 2 && text[0] == '\\' && text[1] == 'x') return DecodeHex(text[2..]);
        return DecodeEscape(text);
    }

    private static byte[] DecodeHex(ReadOnlySpan<byte> hex)
    {
        if (hex.Length % 2 != 0) throw new FormatException("bytea hex text has an odd number of digits.");
        var bytes = new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(Nibble(hex[2 * i]) << 4 | Nibble(hex[2 * i + 1]));
        return bytes;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => throw new FormatException("bytea hex text has a non-hex digit."),
    };

    private static byte[] DecodeEscape(ReadOnlySpan<byte> text)
    {
        var bytes = new byte[text.Length]; // never longer than its text
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes[n++] = text[i];
            }
            else if (i + 1 < text.Length && text[i + 1] == '\\')
            {
                bytes[n++] = (byte)'\\';
                i++;
            }
            else if (i + 3 < text.Length && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) && IsOctal(text[i + 3]))
            {
                bytes[n++] = (byte)((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0'));
                i += 3;
            }
            else
            {
                throw new FormatException("bytea escape text has an invalid escape sequence.");
            }
        }
        return bytes.AsSpan(0, n).ToArray();
    }

    private static bool IsOctal(byte c) => c is >= (byte)'0' and <= (byte)'7';
}
