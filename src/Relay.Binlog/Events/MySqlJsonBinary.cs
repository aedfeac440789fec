using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Relay.Binlog.Events;

/// <summary>
/// Renders MySQL's binary JSON (the JSON column type, 245) as the text MySQL itself prints
/// (<c>{"a": 1, "b": [true, null]}</c>). Format: sql-common/json_binary.h; printing: json_dom.cc wrapper_to_string
/// (", " and ": " separators, doubles through my_gcvt with ".0" appended to integral ones, dates and times as
/// my_TIME_to_str with 6 fractional digits, other opaque values as "base64:typeNN:..."). The text is built as UTF-8
/// in a buffer the caller reuses.
/// </summary>
internal static class MySqlJsonBinary
{
    private const byte SmallObject = 0x00;
    private const byte LargeObject = 0x01;
    private const byte SmallArray = 0x02;
    private const byte LargeArray = 0x03;
    private const byte Literal = 0x04;
    private const byte Int16 = 0x05;
    private const byte UInt16 = 0x06;
    private const byte Int32 = 0x07;
    private const byte UInt32 = 0x08;
    private const byte Int64 = 0x09;
    private const byte UInt64 = 0x0A;
    private const byte Double = 0x0B;
    private const byte String = 0x0C;
    private const byte Opaque = 0x0F;

    // MySQL refuses documents nested deeper than 100 (JSON_DOCUMENT_MAX_DEPTH); deeper means corrupt input.
    private const int MaxDepth = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static string ToText(ReadOnlySpan<byte> document, ArrayBufferWriter<byte> output)
    {
        // json_binary::parse_binary reads an empty value (a NULL put into a NOT NULL column in non-strict mode) as null.
        if (document.IsEmpty) return "null";
        output.ResetWrittenCount();
        WriteValue(document[0], document[1..], output, 0);
        try
        {
            return StrictUtf8.GetString(output.WrittenSpan);
        }
        catch (DecoderFallbackException e)
        {
            throw new BinlogFormatException("a JSON string is not valid UTF-8", e);
        }
    }

    private static void WriteValue(byte type, ReadOnlySpan<byte> data, ArrayBufferWriter<byte> output, int depth)
    {
        switch (type)
        {
            case SmallObject or LargeObject or SmallArray or LargeArray:
                WriteContainer(type, data, output, depth + 1);
                break;
            case Literal:
                Need(data, 1, "a JSON literal");
                Ascii(output, data[0] switch
                {
                    0 => "null",
                    1 => "true",
                    2 => "false",
                    _ => throw new BinlogFormatException($"JSON literal 0x{data[0]:X2} is not null, true or false"),
                });
                break;
            case Int16:
                Need(data, 2, "a JSON int16");
                Number(output, BinaryPrimitives.ReadInt16LittleEndian(data));
                break;
            case UInt16:
                Need(data, 2, "a JSON uint16");
                Number(output, BinaryPrimitives.ReadUInt16LittleEndian(data));
                break;
            case Int32:
                Need(data, 4, "a JSON int32");
                Number(output, BinaryPrimitives.ReadInt32LittleEndian(data));
                break;
            case UInt32:
                Need(data, 4, "a JSON uint32");
                Number(output, BinaryPrimitives.ReadUInt32LittleEndian(data));
                break;
            case Int64:
                Need(data, 8, "a JSON int64");
                Number(output, BinaryPrimitives.ReadInt64LittleEndian(data));
                break;
            case UInt64:
                Need(data, 8, "a JSON uint64");
                Number(output, BinaryPrimitives.ReadUInt64LittleEndian(data));
                break;
            case Double:
                Need(data, 8, "a JSON double");
                Ascii(output, FormatDouble(BinaryPrimitives.ReadDoubleLittleEndian(data)));
                break;
            case String:
            {
                var length = ReadVariableLength(data, out var used);
                Need(data, used + length, "a JSON string");
                Quoted(output, data.Slice(used, length));
                break;
            }
            case Opaque:
            {
                Need(data, 1, "a JSON opaque value");
                var fieldType = (MySqlColumnType)data[0];
                var length = ReadVariableLength(data[1..], out var used);
                Need(data, 1 + used + length, "a JSON opaque value");
                WriteOpaque(fieldType, data.Slice(1 + used, length), output);
                break;
            }
            default:
                throw new BinlogFormatException($"JSON value type 0x{type:X2} is not one of MySQL's binary JSON types");
        }
    }

    /// <summary>
    /// object ::= element-count size key-entry* value-entry* key* value*; array ::= element-count size value-entry*
    /// value*. Counts, sizes and offsets are 2 bytes (small) or 4 bytes (large); offsets count from the count field.
    /// </summary>
    private static void WriteContainer(byte type, ReadOnlySpan<byte> data, ArrayBufferWriter<byte> output, int depth)
    {
        if (depth > MaxDepth) throw new BinlogFormatException($"JSON nested deeper than {MaxDepth} levels");
        var large = type is LargeObject or LargeArray;
        var isObject = type is SmallObject or LargeObject;
        var offsetSize = large ? 4 : 2;
        Need(data, 2 * offsetSize, "a JSON container header");
        var count = ReadOffset(data, large);
        var size = ReadOffset(data[offsetSize..], large);
        if (size > data.Length) throw new BinlogFormatException($"a JSON container of {size} bytes in {data.Length}");
        var container = data[..(int)size];
        var keyEntrySize = offsetSize + 2;
        var valueEntrySize = 1 + offsetSize;
        var header = 2 * offsetSize + (isObject ? count * keyEntrySize : 0) + count * valueEntrySize;
        if (header > size) throw new BinlogFormatException($"a JSON container of {count} elements in {size} bytes");

        output.Write(isObject ? "{"u8 : "["u8);
        var valueEntries = 2 * offsetSize + (isObject ? (int)count * keyEntrySize : 0);
        for (var i = 0; i < (int)count; i++)
        {
            if (i > 0) output.Write(", "u8);
            if (isObject)
            {
                var keyEntry = container[(2 * offsetSize + i * keyEntrySize)..];
                var keyOffset = ReadOffset(keyEntry, large);
                var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(keyEntry[offsetSize..]);
                if (keyOffset + keyLength > size) throw new BinlogFormatException("a JSON key outside its object");
                Quoted(output, container.Slice((int)keyOffset, keyLength));
                output.Write(": "u8);
            }
            var entry = container.Slice(valueEntries + i * valueEntrySize, valueEntrySize);
            var valueType = entry[0];
            if (IsInlined(valueType, large))
            {
                WriteValue(valueType, entry[1..], output, depth);
            }
            else
            {
                var valueOffset = ReadOffset(entry[1..], large);
                if (valueOffset < header || valueOffset >= size) throw new BinlogFormatException("a JSON value outside its container");
                WriteValue(valueType, container[(int)valueOffset..], output, depth);
            }
        }
        output.Write(isObject ? "}"u8 : "]"u8);
    }

    /// <summary>Literals and 16-bit integers always sit in the value entry; 32-bit ones too in the large format.</summary>
    private static bool IsInlined(byte type, bool large) =>
        type is Literal or Int16 or UInt16 || large && type is Int32 or UInt32;

    private static uint ReadOffset(ReadOnlySpan<byte> data, bool large) =>
        large ? BinaryPrimitives.ReadUInt32LittleEndian(data) : BinaryPrimitives.ReadUInt16LittleEndian(data);

    /// <summary>data-length: 7 bits per byte, low bits first, the high bit set on every byte but the last.</summary>
    private static int ReadVariableLength(ReadOnlySpan<byte> data, out int used)
    {
        uint length = 0;
        for (var i = 0; i < 5; i++)
        {
            if (i >= data.Length) throw new BinlogFormatException("a JSON length runs past the value");
            length |= (uint)(data[i] & 0x7F) << (7 * i);
            if ((data[i] & 0x80) == 0)
            {
                used = i + 1;
                return length <= int.MaxValue ? (int)length : throw new BinlogFormatException($"a JSON length of {length}");
            }
        }
        throw new BinlogFormatException("a JSON length longer than 5 bytes");
    }

    private static void WriteOpaque(MySqlColumnType fieldType, ReadOnlySpan<byte> data, ArrayBufferWriter<byte> output)
    {
        switch (fieldType)
        {
            case MySqlColumnType.NewDecimal:
                // Json_decimal: precision byte, scale byte, then the binary decimal; printed unquoted (decimal2string).
                Need(data, 2, "a JSON decimal");
                Ascii(output, MySqlDecimal.ToText(data[2..], data[0], data[1]));
                break;
            case MySqlColumnType.Date or MySqlColumnType.Time or MySqlColumnType.DateTime or MySqlColumnType.Timestamp:
                if (data.Length != 8) throw new BinlogFormatException($"a JSON {fieldType} of {data.Length} bytes, not 8");
                output.Write("\""u8);
                Ascii(output, PackedTemporal(fieldType, BinaryPrimitives.ReadInt64LittleEndian(data)));
                output.Write("\""u8);
                break;
            case MySqlColumnType.VarString:
                // wrapper_to_string treats strings kept as opaque VAR_STRING as plain strings.
                Quoted(output, data);
                break;
            default:
                Ascii(output, "\"base64:type");
                Number(output, (byte)fieldType);
                output.Write(":"u8);
                WriteBase64(output, data);
                output.Write("\""u8);
                break;
        }
    }

    /// <summary>
    /// A Json_datetime's 8-byte packed value (TIME_to_longlong_packed) as my_TIME_to_str(t, 6) prints it:
    /// "YYYY-MM-DD", "[-]HH:MM:SS.ffffff" or "YYYY-MM-DD HH:MM:SS.ffffff".
    /// </summary>
    private static string PackedTemporal(MySqlColumnType fieldType, long packed)
    {
        var negative = packed < 0;
        var magnitude = negative ? -packed : packed;
        var micro = (int)(magnitude % (1L << 24));
        var integer = magnitude >> 24;
        if (fieldType == MySqlColumnType.Time)
        {
            var hours = (int)(integer >> 12 & 0x3FF);
            var time = string.Create(CultureInfo.InvariantCulture,
                $"{(negative ? "-" : "")}{hours:00}:{integer >> 6 & 0x3F:00}:{integer & 0x3F:00}.{micro:000000}");
            return time;
        }
        var ymd = integer >> 17;
        var ym = ymd >> 5;
        var hms = integer & 0x1FFFF;
        var date = string.Create(CultureInfo.InvariantCulture, $"{ym / 13:0000}-{ym % 13:00}-{ymd & 0x1F:00}");
        return fieldType == MySqlColumnType.Date
            ? date
            : string.Create(CultureInfo.InvariantCulture, $"{date} {hms >> 12:00}:{hms >> 6 & 0x3F:00}:{hms & 0x3F:00}.{micro:000000}");
    }

    /// <summary>MySQL's base64_encode: standard alphabet with '=' padding, and a newline before every 77th character.</summary>
    private static void WriteBase64(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        var encodedLength = Base64.GetMaxEncodedToUtf8Length(data.Length);
        var encoded = ArrayPool<byte>.Shared.Rent(Math.Max(encodedLength, 1));
        try
        {
            Base64.EncodeToUtf8(data, encoded, out _, out var written);
            for (var at = 0; at < written; at += 76)
            {
                // The newline is a control character, so the quoted string carries it as "\n".
                if (at > 0) output.Write("\\n"u8);
                output.Write(encoded.AsSpan(at, Math.Min(76, written - at)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>A JSON string: quotes around, '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00XX (json_dom.cc escape_character).</summary>
    private static void Quoted(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> utf8)
    {
        output.Write("\""u8);
        while (!utf8.IsEmpty)
        {
            var special = utf8.IndexOfAnyInRange((byte)0, (byte)0x1F);
            var quote = utf8.IndexOfAny((byte)'"', (byte)'\\');
            var next = special < 0 ? quote : quote < 0 ? special : Math.Min(special, quote);
            if (next < 0)
            {
                output.Write(utf8);
                break;
            }
            output.Write(utf8[..next]);
            var c = utf8[next];
            switch (c)
            {
                case (byte)'"': output.Write("\\\""u8); break;
                case (byte)'\\': output.Write("\\\\"u8); break;
                case (byte)'\b': output.Write("\\b"u8); break;
                case (byte)'\f': output.Write("\\f"u8); break;
                case (byte)'\n': output.Write("\\n"u8); break;
                case (byte)'\r': output.Write("\\r"u8); break;
                case (byte)'\t': output.Write("\\t"u8); break;
                default:
                    output.Write("\\u00"u8);
                    output.Write([(byte)"0123456789abcdef"[c >> 4], (byte)"0123456789abcdef"[c & 0xF]]);
                    break;
            }
            utf8 = utf8[(next + 1)..];
        }
        output.Write("\""u8);
    }

    /// <summary>
    /// my_gcvt(d, MY_GCVT_ARG_DOUBLE, 34) as JSON prints it: the shortest round-trip digits, in plain notation when
    /// the decimal exponent is within -14..15 (or the digits reach past the point), else "d.ddde[-]N"; ".0" is
    /// appended when the result has neither '.' nor 'e' (strings/dtoa.cc, json_dom.cc).
    /// </summary>
    internal static string FormatDouble(double value)
    {
        if (!double.IsFinite(value)) throw new BinlogFormatException($"a JSON double that is {value}");
        var negative = value < 0 || value == 0 && double.IsNegative(value);
        Span<char> digits = stackalloc char[32];
        var length = ShortestDigits(Math.Abs(value), digits, out var point);
        var text = new StringBuilder(40);
        if (negative) text.Append('-');
        // 'f' when it fits the 34-character field and MAX_DECPT_FOR_F_FORMAT (15) allows it; else 'e'.
        var fixedWidth = point <= 0 ? length - point + 2 : point < length ? length + 1 : point;
        var width = negative ? 33 : 34;
        if (fixedWidth <= width && point >= -14 && (point <= 15 || length > point))
        {
            if (point <= 0)
            {
                text.Append("0.").Append('0', -point).Append(digits[..length]);
            }
            else if (point < length)
            {
                text.Append(digits[..point]).Append('.').Append(digits[point..length]);
            }
            else
            {
                text.Append(digits[..length]).Append('0', point - length);
            }
        }
        else
        {
            text.Append(digits[0]);
            if (length > 1) text.Append('.').Append(digits[1..length]);
            text.Append('e').Append((point - 1).ToString(CultureInfo.InvariantCulture));
        }
        var result = text.ToString();
        return result.AsSpan().IndexOfAny('.', 'e') < 0 ? result + ".0" : result;
    }

    /// <summary>The shortest round-trip significant digits of a non-negative double and where the point goes (0.d1d2.. x 10^point).</summary>
    private static int ShortestDigits(double value, Span<char> digits, out int point)
    {
        if (value == 0)
        {
            digits[0] = '0';
            point = 1;
            return 1;
        }
        // .NET's "R" is the shortest text that round-trips, as dtoa mode 0 is; take its digits and exponent apart.
        var shortest = value.ToString("R", CultureInfo.InvariantCulture).AsSpan();
        var exponent = 0;
        var e = shortest.IndexOf('E');
        if (e >= 0)
        {
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            shortest = shortest[..e];
        }
        var dot = shortest.IndexOf('.');
        var integerDigits = dot < 0 ? shortest.Length : dot;
        var length = 0;
        var leadingZeros = 0;
        var seenNonZero = false;
        foreach (var c in shortest)
        {
            if (c == '.') continue;
            if (!seenNonZero && c == '0')
            {
                leadingZeros++;
                continue;
            }
            seenNonZero = true;
            digits[length++] = c;
        }
        while (length > 1 && digits[length - 1] == '0') length--;
        point = integerDigits - leadingZeros + exponent;
        return length;
    }

    private static void Need(ReadOnlySpan<byte> data, int count, string what)
    {
        if (data.Length < count) throw new BinlogFormatException($"{what} needs {count} bytes, {data.Length} remain");
    }

    private static void Ascii(ArrayBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++) span[i] = (byte)text[i];
        output.Advance(text.Length);
    }

    private static void Number(ArrayBufferWriter<byte> output, long value)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var written);
        output.Advance(written);
    }

    private static void Number(ArrayBufferWriter<byte> output, ulong value)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var written);
        output.Advance(written);
    }
}
