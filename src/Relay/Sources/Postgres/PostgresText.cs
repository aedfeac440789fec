using System.Globalization;
using System.Text;

namespace Relay.Sources.Postgres;

/// <summary>
/// PostgreSQL's text output of a column, turned into the normal form of <see cref="ValueText"/>. Both Postgres
/// sources read values as text (pgoutput sends text; the poller casts to text), so one conversion serves both.
/// Their sessions run with DateStyle ISO and TimeZone UTC (<see cref="SessionOptions"/>); instants are still
/// converted from whatever offset they carry.
/// </summary>
internal static class PostgresText
{
    public const uint Bool = 16;
    public const uint Bytea = 17;
    public const uint Float4 = 700;
    public const uint Float8 = 701;
    public const uint Timestamp = 1114;
    public const uint TimestampTz = 1184;

    /// <summary>Startup options that fix how the server prints dates and instants, appended to a connection string's own.</summary>
    public const string SessionOptions = "-c DateStyle=ISO,MDY -c TimeZone=UTC";

    /// <summary>True when the server's text of a <paramref name="typeOid"/> value is already its normal form: the types <see cref="Normalize(uint, string)"/> converts are exactly the others.</summary>
    public static bool IsNormalAsPrinted(uint typeOid) => typeOid is not (Bytea or Bool or Float4 or Float8 or Timestamp or TimestampTz);

    /// <summary>The value of a column of type <paramref name="typeOid"/> from its UTF-8 text.</summary>
    public static object Normalize(uint typeOid, ReadOnlySpan<byte> utf8) =>
        typeOid == Bytea ? ByteaText.Decode(utf8) : Normalize(typeOid, Encoding.UTF8.GetString(utf8));

    /// <summary>The value of a column of type <paramref name="typeOid"/> from its text (bytea in hex or escape form).</summary>
    public static object Normalize(uint typeOid, string text) => IsNormalAsPrinted(typeOid) ? text : typeOid switch
    {
        Bytea => ByteaText.Decode(Encoding.ASCII.GetBytes(text)),
        Bool => text switch { "t" => "true", "f" => "false", _ => text },
        Float4 or Float8 => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? ValueText.Double(d) : text,
        Timestamp => TryInstant(text, withOffset: false, out var local) ? local : text,
        TimestampTz => TryInstant(text, withOffset: true, out var utc) ? utc : text,
        _ => text,
    };

    /// <summary>"2024-01-02 03:04:05.123456[+01[:30]]" → "2024-01-02T03:04:05.123456[Z]"; infinity and BC dates keep their text.</summary>
    private static bool TryInstant(string text, bool withOffset, out string normal)
    {
        normal = text;
        var s = text.AsSpan();
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return false;
        if (!Digits(s[..4], out var year) || !Digits(s[5..7], out var month) || !Digits(s[8..10], out var day) ||
            !Digits(s[11..13], out var hour) || !Digits(s[14..16], out var minute) || !Digits(s[17..19], out var second)) return false;
        var i = 19;
        var micros = 0;
        if (i < s.Length && s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start || i - start > 6) return false;
            Digits(s[start..i], out micros);
            for (var n = i - start; n < 6; n++) micros *= 10;
        }
        var offsetSeconds = 0;
        if (withOffset)
        {
            if (i >= s.Length || s[i] is not ('+' or '-')) return false;
            var sign = s[i] == '-' ? -1 : 1;
            var parts = s[(i + 1)..];
            if (!Digits(parts[..Math.Min(2, parts.Length)], out var oh)) return false;
            int om = 0, os = 0;
            if (parts.Length >= 5 && (parts[2] != ':' || !Digits(parts[3..5], out om))) return false;
            if (parts.Length >= 8 && (parts[5] != ':' || !Digits(parts[6..8], out os))) return false;
            if (parts.Length is not (2 or 5 or 8)) return false;
            offsetSeconds = sign * (oh * 3600 + om * 60 + os);
            i = s.Length;
        }
        if (i != s.Length) return false; // " BC", or anything unexpected: keep the server's text
        if (!withOffset)
        {
            normal = ValueText.DateTime(year, month, day, hour, minute, second, micros, utc: false);
            return true;
        }
        try
        {
            var utc = new System.DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddSeconds(-offsetSeconds);
            normal = ValueText.DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, utc.Second, micros, utc: true);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // outside what DateTime holds (years past 9999): keep the server's text
        }
    }

    private static bool Digits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (s.IsEmpty) return false;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
