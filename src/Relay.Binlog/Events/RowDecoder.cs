using System.Buffers;
using System.Buffers.Binary;

namespace Relay.Binlog.Events;

/// <summary>
/// Decodes row images into the project's value normal form (see <see cref="ValueText"/>): null, byte[] for binary
/// columns, string for everything else. Value layouts: MySQL's Field::pack / log_event.cc log_event_print_value, and
/// my_time.cc for the temporal types. Owns the scratch buffers rows reuse; one per decoder, not thread-safe.
/// </summary>
internal sealed class RowDecoder
{
    private readonly ArrayBufferWriter<byte> _json = new(256);

    /// <summary>Bumped by the decoder on every read, so a rows event can tell its bytes are gone.</summary>
    public long Generation { get; set; }

    /// <summary>
    /// One row: the NULL bitmap over the columns present in the image, then each present non-NULL value.
    /// Advances <paramref name="offset"/> past it.
    /// </summary>
    public object?[] ReadRow(BinlogTable table, ReadOnlySpan<byte> present, int presentCount, ReadOnlySpan<byte> rows, ref int offset)
    {
        var layouts = table.Layouts;
        var row = new object?[layouts.Length];
        var reader = new SpanReader(rows[offset..], SpanErrors.BinlogFormat);
        var nulls = reader.ReadBytes((presentCount + 7) / 8, "a row's NULL bitmap");
        var n = 0;
        for (var i = 0; i < layouts.Length; i++)
        {
            if ((present[i >> 3] & (1 << (i & 7))) == 0) continue;
            var isNull = (nulls[n >> 3] & (1 << (n & 7))) != 0;
            n++;
            if (isNull) continue;
            try
            {
                row[i] = ReadValue(in layouts[i], ref reader);
            }
            catch (BinlogFormatException e)
            {
                throw new BinlogFormatException(
                    $"column {Describe(table, i)} of {table.Schema}.{table.Name} (row offset {offset}): {e.Problem}", e.InnerException ?? e);
            }
        }
        offset += reader.Position;
        return row;
    }

    private object? ReadValue(in ColumnLayout column, ref SpanReader reader)
    {
        switch (column.Kind)
        {
            case ColumnKind.Tiny:
            {
                var b = reader.ReadByte("a TINYINT");
                return column.Unsigned ? MySqlValueText.Integer((ulong)b) : MySqlValueText.Integer((sbyte)b);
            }
            case ColumnKind.Short:
            {
                var v = reader.ReadUInt16("a SMALLINT");
                return column.Unsigned ? MySqlValueText.Integer((ulong)v) : MySqlValueText.Integer((short)v);
            }
            case ColumnKind.Int24:
            {
                var v = reader.ReadUInt24("a MEDIUMINT");
                return column.Unsigned ? MySqlValueText.Integer((ulong)v) : MySqlValueText.Integer((int)(v << 8) >> 8);
            }
            case ColumnKind.Long:
            {
                var v = reader.ReadUInt32("an INT");
                return column.Unsigned ? MySqlValueText.Integer((ulong)v) : MySqlValueText.Integer((int)v);
            }
            case ColumnKind.LongLong:
            {
                var v = reader.ReadUInt64("a BIGINT");
                return column.Unsigned ? MySqlValueText.Integer(v) : MySqlValueText.Integer((long)v);
            }
            case ColumnKind.Year:
            {
                // 0 is the zero year; 1..255 are 1901..2155.
                var v = reader.ReadByte("a YEAR");
                return MySqlValueText.Year(v == 0 ? 0 : 1900 + v);
            }
            case ColumnKind.Float:
                return MySqlValueText.Float(BitConverter.UInt32BitsToSingle(reader.ReadUInt32("a FLOAT")));
            case ColumnKind.Double:
                return MySqlValueText.Double(BitConverter.UInt64BitsToDouble(reader.ReadUInt64("a DOUBLE")));
            case ColumnKind.NewDecimal:
                return MySqlDecimal.ToText(
                    reader.ReadBytes(MySqlDecimal.BinarySize(column.Precision, column.Scale), "a DECIMAL"), column.Precision, column.Scale);
            case ColumnKind.Date:
            {
                // Field_newdate: day in bits 0-4, month in 5-8, year above.
                var v = reader.ReadUInt24("a DATE");
                return MySqlValueText.Date((int)(v >> 9), (int)(v >> 5 & 0xF), (int)(v & 0x1F));
            }
            case ColumnKind.Time:
            {
                // The old TIME: a signed 3-byte [-]HHMMSS integer.
                var v = (int)(reader.ReadUInt24("a TIME") << 8) >> 8;
                var magnitude = Math.Abs(v);
                return MySqlValueText.Time(v < 0, magnitude / 10000, magnitude / 100 % 100, magnitude % 100, 0);
            }
            case ColumnKind.Time2:
                return Time2(reader.ReadBytes(3 + (column.Size + 1) / 2, "a TIME"), column.Size);
            case ColumnKind.DateTime:
            {
                // The old DATETIME: an 8-byte YYYYMMDDhhmmss integer.
                var v = reader.ReadUInt64("a DATETIME");
                var date = v / 1_000_000;
                var time = v % 1_000_000;
                return MySqlValueText.DateTime((int)(date / 10000), (int)(date / 100 % 100), (int)(date % 100),
                    (int)(time / 10000), (int)(time / 100 % 100), (int)(time % 100), 0, utc: false);
            }
            case ColumnKind.DateTime2:
                return DateTime2(reader.ReadBytes(5 + (column.Size + 1) / 2, "a DATETIME"), column.Size);
            case ColumnKind.Timestamp:
                return Timestamp(reader.ReadUInt32("a TIMESTAMP"), 0);
            case ColumnKind.Timestamp2:
                return Timestamp2(reader.ReadBytes(4 + (column.Size + 1) / 2, "a TIMESTAMP"), column.Size);
            case ColumnKind.VarString:
            {
                var length = column.Size == 1 ? reader.ReadByte("a VARCHAR length") : reader.ReadUInt16("a VARCHAR length");
                return Text(column, reader.ReadBytes(length, "a VARCHAR"));
            }
            case ColumnKind.FixedString:
            {
                var length = column.Size == 1 ? reader.ReadByte("a CHAR length") : reader.ReadUInt16("a CHAR length");
                var bytes = reader.ReadBytes(length, "a CHAR");
                if (column.Charset != MySqlCharset.Binary || length >= column.Precision) return Text(column, bytes);
                // BINARY(n) is logged without its trailing 0x00 padding; SELECT returns it padded to n bytes.
                var padded = new byte[column.Precision];
                bytes.CopyTo(padded);
                return padded;
            }
            case ColumnKind.Uuid or ColumnKind.Inet6 or ColumnKind.Inet4:
            {
                // MariaDB's fixed-binary types are logged like BINARY(n), trailing 0x00 bytes stripped.
                var length = reader.ReadByte("a length");
                if (length > column.Precision) throw new BinlogFormatException($"{length} bytes for a {column.Precision}-byte {column.Kind} value");
                Span<byte> value = stackalloc byte[16];
                value.Clear();
                reader.ReadBytes(length, "a value").CopyTo(value);
                return column.Kind switch
                {
                    ColumnKind.Uuid => MariaDbFixedBinaryText.Uuid(value[..16]),
                    ColumnKind.Inet6 => MariaDbFixedBinaryText.Inet6(value[..16]),
                    _ => MariaDbFixedBinaryText.Inet4(value[..4]),
                };
            }
            case ColumnKind.Blob:
            {
                var length = reader.ReadUInt(column.Size, "a BLOB length");
                return Text(column, reader.ReadBytes(CheckedLength(length, reader.Remaining, "BLOB"), "a BLOB"));
            }
            case ColumnKind.Json:
            {
                var length = reader.ReadUInt(column.Size, "a JSON length");
                return MySqlJsonBinary.ToText(reader.ReadBytes(CheckedLength(length, reader.Remaining, "JSON"), "a JSON value"), _json);
            }
            case ColumnKind.Geometry:
            {
                var length = reader.ReadUInt(column.Size, "a GEOMETRY length");
                return reader.ReadBytes(CheckedLength(length, reader.Remaining, "GEOMETRY"), "a GEOMETRY").ToArray();
            }
            case ColumnKind.Bit:
                return reader.ReadBytes(column.Size, "a BIT").ToArray();
            case ColumnKind.Enum:
                return Enum(reader.ReadUInt(column.Size, "an ENUM"), column.Labels);
            case ColumnKind.Set:
                return Set(reader.ReadUInt(column.Size, "a SET"), column.Labels);
            case ColumnKind.Null:
                return null;
            default:
                throw new BinlogFormatException($"column kind {column.Kind} has no reader");
        }
    }

    private static object Text(in ColumnLayout column, ReadOnlySpan<byte> bytes) => column.Charset == MySqlCharset.Binary
        ? bytes.ToArray()
        : MySqlText.Decode(column.Charset, bytes, MySqlCollations.CharsetName(column.Collation) ?? $"collation {column.Collation}");

    private static int CheckedLength(ulong length, int remaining, string what) => length <= (ulong)remaining
        ? (int)length
        : throw new BinlogFormatException($"a {what} value of {length} bytes with {remaining} left in the event");

    /// <summary>ENUM: a 1-based index into the labels, 0 for the empty error value.</summary>
    private static string Enum(ulong index, string[]? labels)
    {
        if (labels is null) return MySqlValueText.Integer(index);
        if (index == 0) return "";
        return index <= (ulong)labels.Length
            ? labels[index - 1]
            : throw new BinlogFormatException($"ENUM index {index} but the column has {labels.Length} values");
    }

    /// <summary>SET: a bitmask over the labels, printed as MySQL does, the members comma-joined in definition order.</summary>
    private static string Set(ulong bits, string[]? labels)
    {
        if (labels is null) return MySqlValueText.Integer(bits);
        if (labels.Length < 64 && bits >> labels.Length != 0)
            throw new BinlogFormatException($"SET bits 0x{bits:X} name members beyond the column's {labels.Length}");
        if (bits == 0) return "";
        var members = new List<string>(System.Numerics.BitOperations.PopCount(bits));
        for (var i = 0; i < labels.Length; i++)
            if ((bits & 1UL << i) != 0) members.Add(labels[i]);
        return string.Join(',', members);
    }

    /// <summary>TIME(fsp) in the 5.6 format (my_time_packed_from_binary): 3 big-endian bytes offset by 0x800000, then the fraction.</summary>
    private static string Time2(ReadOnlySpan<byte> bytes, int fsp)
    {
        long packed;
        long integer = (bytes[0] << 16 | bytes[1] << 8 | bytes[2]) - 0x800000L;
        switch (fsp)
        {
            case 0:
                packed = integer << 24;
                break;
            case 1 or 2:
            {
                // Hundredths; a negative value stores the fraction counted back from the next integer.
                int fraction = bytes[3];
                if (integer < 0 && fraction != 0)
                {
                    integer++;
                    fraction -= 0x100;
                }
                packed = (integer << 24) + fraction * 10000L;
                break;
            }
            case 3 or 4:
            {
                int fraction = BinaryPrimitives.ReadUInt16BigEndian(bytes[3..]);
                if (integer < 0 && fraction != 0)
                {
                    integer++;
                    fraction -= 0x10000;
                }
                packed = (integer << 24) + fraction * 100L;
                break;
            }
            default:
                packed = (long)ReadUInt48BigEndian(bytes) - 0x800000000000L;
                break;
        }
        var negative = packed < 0;
        var magnitude = negative ? -packed : packed;
        var hms = magnitude >> 24;
        return MySqlValueText.Time(negative, (int)(hms >> 12 & 0x3FF), (int)(hms >> 6 & 0x3F), (int)(hms & 0x3F), (int)(magnitude % (1L << 24)));
    }

    /// <summary>DATETIME(fsp) in the 5.6 format (my_datetime_packed_from_binary): 5 big-endian bytes offset by 0x8000000000, then the fraction.</summary>
    private static string DateTime2(ReadOnlySpan<byte> bytes, int fsp)
    {
        var integer = (long)((ulong)bytes[0] << 32 | BinaryPrimitives.ReadUInt32BigEndian(bytes[1..])) - 0x8000000000L;
        var fraction = fsp switch
        {
            0 => 0,
            1 or 2 => (sbyte)bytes[5] * 10000,
            3 or 4 => BinaryPrimitives.ReadInt16BigEndian(bytes[5..]) * 100,
            _ => (bytes[5] << 16 | bytes[6] << 8 | bytes[7]) << 8 >> 8,
        };
        if (integer < 0 || fraction < 0) throw new BinlogFormatException("a negative DATETIME");
        // ymd: ((year * 13 + month) << 5) | day, then 17 bits of (hour << 12) | (minute << 6) | second.
        var ymd = integer >> 17;
        var ym = ymd >> 5;
        var hms = integer & 0x1FFFF;
        return MySqlValueText.DateTime((int)(ym / 13), (int)(ym % 13), (int)(ymd & 0x1F),
            (int)(hms >> 12), (int)(hms >> 6 & 0x3F), (int)(hms & 0x3F), fraction, utc: false);
    }

    /// <summary>TIMESTAMP(fsp) in the 5.6 format (my_timestamp_from_binary): 4 big-endian bytes of Unix seconds, then the fraction.</summary>
    private static string Timestamp2(ReadOnlySpan<byte> bytes, int fsp)
    {
        var seconds = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var micro = fsp switch
        {
            0 => 0,
            1 or 2 => bytes[4] * 10000,
            3 or 4 => BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]) * 100,
            _ => bytes[4] << 16 | bytes[5] << 8 | bytes[6],
        };
        return Timestamp(seconds, micro);
    }

    /// <summary>0 seconds is MySQL's zero TIMESTAMP ("0000-00-00 00:00:00"), not the epoch: the epoch is out of TIMESTAMP's range.</summary>
    private static string Timestamp(uint seconds, int micro)
    {
        if (micro is < 0 or > 999_999) throw new BinlogFormatException($"a TIMESTAMP fraction of {micro} microseconds");
        return seconds == 0 && micro == 0
            ? MySqlValueText.DateTime(0, 0, 0, 0, 0, 0, 0, utc: true)
            : MySqlValueText.Timestamp(seconds, micro);
    }

    private static ulong ReadUInt48BigEndian(ReadOnlySpan<byte> bytes) =>
        (ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32 | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);

    private static string Describe(BinlogTable table, int i) =>
        table.Columns.Names[i] is { } name ? $"'{name}' (#{i}, {table.ColumnTypes[i]})" : $"#{i} ({table.ColumnTypes[i]})";
}
