using System.Globalization;

namespace Relay.Binlog.Events;

/// <summary>
/// The text form in which this library decodes MySQL and MariaDB column values, public so a user formats values it
/// reads by other means (plain SQL) identically. A value is null (SQL NULL), a byte[] (binary columns) or a string:
/// integers as plain invariant digits, decimals in plain notation with their declared scale, floating point as the
/// shortest round-trip text, dates and times in ISO 8601 without a zone ('Z' for TIMESTAMP, an instant), fractions of
/// a second only when non-zero and without trailing zeros, JSON as its text. Zero dates ("0000-00-00") are written as
/// the server prints them, which <see cref="System.DateTime"/> could not hold, hence the component-wise signatures.
/// </summary>
public static class MySqlValueText
{
    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Integer(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Shortest text that parses back to the same double ("R"); NaN and the infinities as Postgres spells them.</summary>
    public static string Double(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A FLOAT column: the shortest text of the single-precision value, not of its widening to double.</summary>
    public static string Float(float value) =>
        float.IsNaN(value) ? "NaN"
        : float.IsPositiveInfinity(value) ? "Infinity"
        : float.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A decimal from its digits: <paramref name="digits"/> holds the integer part followed by exactly
    /// <paramref name="scale"/> fraction digits ('0'..'9' only). Leading zeros of the integer part are dropped (one
    /// is kept before the point), the scale is kept ("12.50"), and a zero value has no sign.
    /// </summary>
    public static string Decimal(bool negative, ReadOnlySpan<char> digits, int scale)
    {
        if (scale < 0 || scale > digits.Length) throw new ArgumentOutOfRangeException(nameof(scale));
        var integerDigits = digits.Length - scale;
        var first = 0;
        while (first < integerDigits - 1 && digits[first] == '0') first++;
        if (integerDigits == 0) first = 0;
        var allZero = digits.IndexOfAnyExcept('0') < 0;
        var sign = negative && !allZero;
        var length = (sign ? 1 : 0) + (integerDigits == 0 ? 1 : integerDigits - first) + (scale > 0 ? 1 + scale : 0);
        Span<char> buffer = length <= 256 ? stackalloc char[length] : new char[length];
        var at = 0;
        if (sign) buffer[at++] = '-';
        if (integerDigits == 0) buffer[at++] = '0';
        else
        {
            digits[first..integerDigits].CopyTo(buffer[at..]);
            at += integerDigits - first;
        }
        if (scale > 0)
        {
            buffer[at++] = '.';
            digits[integerDigits..].CopyTo(buffer[at..]);
        }
        return new string(buffer);
    }

    /// <summary>"yyyy-MM-dd"; zero parts are kept ("0000-00-00").</summary>
    public static string Date(int year, int month, int day)
    {
        Span<char> buffer = stackalloc char[10];
        WriteDate(buffer, year, month, day);
        return new string(buffer);
    }

    /// <summary>
    /// "yyyy-MM-ddTHH:mm:ss[.ffffff]", with a trailing 'Z' when <paramref name="utc"/> (an instant, such as MySQL's
    /// TIMESTAMP); without one it is a wall-clock value of no zone (DATETIME).
    /// </summary>
    public static string DateTime(int year, int month, int day, int hour, int minute, int second, int microsecond, bool utc)
    {
        Span<char> buffer = stackalloc char[28];
        WriteDate(buffer, year, month, day);
        buffer[10] = 'T';
        Write2(buffer[11..], hour);
        buffer[13] = ':';
        Write2(buffer[14..], minute);
        buffer[16] = ':';
        Write2(buffer[17..], second);
        var at = 19 + WriteFraction(buffer[19..], microsecond);
        if (utc) buffer[at++] = 'Z';
        return new string(buffer[..at]);
    }

    /// <summary>An instant given as seconds and microseconds since the Unix epoch, in UTC.</summary>
    public static string Timestamp(long unixSeconds, int microsecond)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime;
        return DateTime(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, microsecond, utc: true);
    }

    /// <summary>"[-]HH:mm:ss[.ffffff]": a duration or time of day; hours may exceed 24 (MySQL's TIME reaches 838).</summary>
    public static string Time(bool negative, int hours, int minutes, int seconds, int microsecond)
    {
        if (hours < 0) throw new ArgumentOutOfRangeException(nameof(hours));
        Span<char> buffer = stackalloc char[32];
        var at = 0;
        if (negative && (hours | minutes | seconds | microsecond) != 0) buffer[at++] = '-';
        if (hours < 100) { Write2(buffer[at..], hours); at += 2; }
        else
        {
            hours.TryFormat(buffer[at..], out var written, default, CultureInfo.InvariantCulture);
            at += written;
        }
        buffer[at++] = ':';
        Write2(buffer[at..], minutes);
        at += 2;
        buffer[at++] = ':';
        Write2(buffer[at..], seconds);
        at += 2;
        at += WriteFraction(buffer[at..], microsecond);
        return new string(buffer[..at]);
    }

    /// <summary>A year, four digits ("2024", and MySQL's zero year "0000").</summary>
    public static string Year(int year)
    {
        Span<char> buffer = stackalloc char[4];
        Write4(buffer, year);
        return new string(buffer);
    }

    private static void WriteDate(Span<char> buffer, int year, int month, int day)
    {
        Write4(buffer, year);
        buffer[4] = '-';
        Write2(buffer[5..], month);
        buffer[7] = '-';
        Write2(buffer[8..], day);
    }

    /// <summary>".ffffff" without trailing zeros, or nothing for zero; returns the characters written.</summary>
    private static int WriteFraction(Span<char> buffer, int microsecond)
    {
        if (microsecond == 0) return 0;
        if (microsecond is < 0 or > 999_999) throw new ArgumentOutOfRangeException(nameof(microsecond));
        buffer[0] = '.';
        var digits = 6;
        while (microsecond % 10 == 0)
        {
            microsecond /= 10;
            digits--;
        }
        for (var i = digits; i >= 1; i--)
        {
            buffer[i] = (char)('0' + microsecond % 10);
            microsecond /= 10;
        }
        return digits + 1;
    }

    private static void Write2(Span<char> buffer, int value)
    {
        if (value is < 0 or > 99) throw new ArgumentOutOfRangeException(nameof(value));
        buffer[0] = (char)('0' + value / 10);
        buffer[1] = (char)('0' + value % 10);
    }

    private static void Write4(Span<char> buffer, int value)
    {
        if (value is < 0 or > 9999) throw new ArgumentOutOfRangeException(nameof(value));
        buffer[0] = (char)('0' + value / 1000);
        buffer[1] = (char)('0' + value / 100 % 10);
        buffer[2] = (char)('0' + value / 10 % 10);
        buffer[3] = (char)('0' + value % 10);
    }
}
