using System.Globalization;
using Relay.Binlog.Events;

namespace Relay.Sources;

/// <summary>
/// The normal form of column values, shared by every source so that a column gives the same header or topic text
/// whichever source read it (WAL tailing, binlog tailing, polling): null (SQL NULL), a byte[] (binary columns) or a
/// string: integers as plain invariant digits, decimals in plain notation with their declared scale, floating point
/// as the shortest round-trip text ("NaN", "Infinity" where a database has them), booleans "true"/"false", dates and
/// times in ISO 8601 without a zone ('Z' for UTC instants: timestamptz, MySQL's TIMESTAMP), fractions of a second only
/// when non-zero and without trailing zeros, uuids lower-case, JSON as its text. Types a database prints in a form of
/// its own (intervals, arrays, ranges) keep the database's text. MySQL values come in this form from the binlog
/// library's <see cref="MySqlValueText"/>, which the MySQL sources use directly; this class serves the others and is
/// the same form by construction (ValueNormalFormTests compare the sources).
/// </summary>
internal static class ValueText
{
    public static string Integer(long value) => MySqlValueText.Integer(value);

    public static string Double(double value) => MySqlValueText.Double(value);

    public static string DateTime(int year, int month, int day, int hour, int minute, int second, int microsecond, bool utc) =>
        MySqlValueText.DateTime(year, month, day, hour, minute, second, microsecond, utc);
}
