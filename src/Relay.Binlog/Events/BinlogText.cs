using System.Text;

namespace Relay.Binlog.Events;

/// <summary>Strict UTF-8 for names and statements in events: invalid bytes are an error, not U+FFFD.</summary>
internal static class BinlogText
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static string Utf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new BinlogFormatException($"{what} is not valid UTF-8", e);
        }
    }
}
