using System.Globalization;

namespace Relay.Sources;

/// <summary>
/// The normal form of column values, the same whichever source read them, so a column gives the same header
/// or topic text from WAL tailing, binlog tailing or polling. A value is null (SQL NULL), a byte[] (binary
/// columns) or a string:
/// integers as invariant digits; decimals in plain notation with their declared scale ("12.50");
/// floating point as the shortest round-trip text ("1.5", "1E+20", "NaN", "Infinity");
/// booleans "true"/"false"; dates "yyyy-MM-dd"; times "HH:mm:ss[.ffffff]";
/// timestamps without a zone "yyyy-MM-ddTHH:mm:ss[.ffffff]"; instants (timestamptz, MySQL TIMESTAMP) in UTC
/// "yyyy-MM-ddTHH:mm:ss[.ffffff]Z" — the fraction only when non-zero, without trailing zeros;
/// uuids lower-case 8-4-4-4-12; JSON as its text. Types the database prints in a form of its own (intervals,
/// arrays, ranges) keep the database's text.
/// </summary>
public static class ValueText
{
    public static string Bool(bool value) => value ? "true" : "false";

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Integer(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A decimal keeps its scale: 12.50m prints "12.50".</summary>
    public static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Double(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public static string Float(float value) =>
        float.IsNaN(value) ? "NaN"
        : float.IsPositiveInfinity(value) ? "Infinity"
        : float.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public static string Date(int year, int month, int day) =>
        string.Create(CultureInfo.InvariantCulture, $"{year:D4}-{month:D2}-{day:D2}");

    /// <summary>A time of day or a duration: "[-]HH:mm:ss[.ffffff]", hours may exceed 24.</summary>
    public static string Time(bool negative, long hours, int minutes, int seconds, int microseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{(negative ? "-" : "")}{hours:D2}:{minutes:D2}:{seconds:D2}{Fraction(microseconds)}");

    /// <summary>A date and time; <paramref name="utc"/> marks an instant (written in UTC with a 'Z').</summary>
    public static string DateTime(int year, int month, int day, int hour, int minute, int second, int microseconds, bool utc) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{year:D4}-{month:D2}-{day:D2}T{hour:D2}:{minute:D2}:{second:D2}{Fraction(microseconds)}{(utc ? "Z" : "")}");

    public static string DateTime(System.DateTime value, bool utc)
    {
        if (utc) value = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        return DateTime(value.Year, value.Month, value.Day, value.Hour, value.Minute, value.Second,
            (int)(value.Ticks % TimeSpan.TicksPerSecond / 10), utc);
    }

    public static string DateTime(DateTimeOffset value) => DateTime(value.UtcDateTime, utc: true);

    public static string Uuid(Guid value) => value.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>".123" for 123000 µs, ".000001" for 1 µs, "" for 0.</summary>
    private static string Fraction(int microseconds)
    {
        if (microseconds == 0) return "";
        var digits = microseconds.ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0');
        return "." + digits;
    }
}
