using System.Text;

namespace Relay.Binlog.Events;

/// <summary>Turns column bytes into text by their charset. Invalid bytes fail loudly instead of becoming U+FFFD.</summary>
internal static class MySqlText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding StrictUtf16BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding StrictUtf16LittleEndian = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly UTF32Encoding StrictUtf32BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true);

    /// <summary>
    /// MySQL's latin1 is Windows-1252 except that the five bytes 1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    /// map to the C1 controls of the same value (MySQL's ctype-latin1.c to_uni table); only 0x80-0x9F differ from
    /// ISO-8859-1.
    /// </summary>
    private static readonly string Latin1High =
        "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
        "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    public static string Decode(MySqlCharset charset, ReadOnlySpan<byte> bytes, string charsetDescription)
    {
        try
        {
            return charset switch
            {
                MySqlCharset.Utf8 => StrictUtf8.GetString(bytes),
                MySqlCharset.Ascii => Ascii(bytes, charsetDescription),
                MySqlCharset.Latin1 => Latin1(bytes),
                MySqlCharset.Utf16BigEndian => StrictUtf16BigEndian.GetString(bytes),
                MySqlCharset.Utf16LittleEndian => StrictUtf16LittleEndian.GetString(bytes),
                MySqlCharset.Utf32BigEndian => StrictUtf32BigEndian.GetString(bytes),
                MySqlCharset.Unsupported => bytes.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0
                    ? Encoding.ASCII.GetString(bytes)
                    : throw new BinlogFormatException($"text in charset {charsetDescription} is not supported by this decoder (only ASCII text of it is)"),
                _ => throw new BinlogFormatException($"text of unknown charset {charsetDescription}"),
            };
        }
        catch (DecoderFallbackException e)
        {
            throw new BinlogFormatException($"bytes that are not valid {charsetDescription} text", e);
        }
    }

    private static string Ascii(ReadOnlySpan<byte> bytes, string charsetDescription) =>
        bytes.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0
            ? Encoding.ASCII.GetString(bytes)
            : throw new BinlogFormatException($"bytes that are not valid {charsetDescription} text");

    private static string Latin1(ReadOnlySpan<byte> bytes) => string.Create(bytes.Length, bytes, static (chars, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            chars[i] = b is >= 0x80 and <= 0x9F ? Latin1High[b - 0x80] : (char)b;
        }
    });
}
