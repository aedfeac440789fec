using System.Buffers;
using System.Text;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// MySQL's binary JSON (MySQL 8 cannot run here), from byte vectors written per the grammar in sql-common/json_binary.h:
/// doc ::= type value; object ::= element-count size key-entry* value-entry* key* value*; offsets are 2 bytes in the
/// small and 4 in the large format and count from the element-count field; literals and 16-bit integers (and 32-bit
/// ones in the large format) are inlined in their value entry. Expected text follows json_dom.cc wrapper_to_string.
/// </summary>
public sealed class JsonBinaryTests
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    private string Text(params byte[] document) => MySqlJsonBinary.ToText(document, _buffer);

    [Fact]
    public void Scalars()
    {
        Assert.Equal("null", Text(0x04, 0x00));
        Assert.Equal("true", Text(0x04, 0x01));
        Assert.Equal("false", Text(0x04, 0x02));
        Assert.Equal("-5", Text(0x05, 0xFB, 0xFF));                            // int16
        Assert.Equal("65535", Text(0x06, 0xFF, 0xFF));                         // uint16
        Assert.Equal("-2147483648", Text(0x07, 0x00, 0x00, 0x00, 0x80));       // int32
        Assert.Equal("4294967295", Text(0x08, 0xFF, 0xFF, 0xFF, 0xFF));        // uint32
        Assert.Equal("-9223372036854775808", Text([0x09, .. BitConverter.GetBytes(long.MinValue)]));
        Assert.Equal("18446744073709551615", Text([0x0A, .. BitConverter.GetBytes(ulong.MaxValue)]));
        Assert.Equal("\"abc\"", Text(0x0C, 0x03, (byte)'a', (byte)'b', (byte)'c'));
        Assert.Equal("\"\"", Text(0x0C, 0x00));
        // An empty value is what non-strict mode stores for NULL in a NOT NULL column; json_binary reads it as null.
        Assert.Equal("null", Text());
    }

    [Theory]
    // my_gcvt(d, MY_GCVT_ARG_DOUBLE, 34): shortest digits, 'f' format for decimal exponents -14..15, else 'e';
    // ".0" appended to integral values (json_dom.cc).
    [InlineData(1.5, "1.5")]
    [InlineData(1.0, "1.0")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e14, "100000000000000.0")]
    [InlineData(1e15, "1e15")]
    [InlineData(1e20, "1e20")]
    [InlineData(123456789012345664.0, "1.2345678901234566e17")]
    [InlineData(1234567890123456.7, "1234567890123456.8")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-5, "0.00001")]
    [InlineData(1e-15, "0.000000000000001")]
    [InlineData(1e-16, "1e-16")]
    [InlineData(-2.5e-7, "-0.00000025")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e308")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(-1.25e-100, "-1.25e-100")]
    public void Doubles_print_as_mysql_prints_them(double value, string expected)
    {
        Assert.Equal(expected, Text([0x0B, .. BitConverter.GetBytes(value)]));
    }

    [Fact]
    public void Strings_are_escaped_as_json_dom_escapes_them()
    {
        var raw = Encoding.UTF8.GetBytes("a\"b\\c\n\r\t\b\f\u0001\u001f é 𝄞 /");
        Assert.Equal("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f é 𝄞 /\"", Text([0x0C, (byte)raw.Length, .. raw]));
        // data-length: 7 bits per byte, low first, high bit = more (300 = 0xAC 0x02).
        var long300 = Enumerable.Repeat((byte)'x', 300).ToArray();
        Assert.Equal("\"" + new string('x', 300) + "\"", Text([0x0C, 0xAC, 0x02, .. long300]));
    }

    [Fact]
    public void The_small_object_of_the_brief()
    {
        // {"a": 1, "b": [true, null]}: count 2, size 30; key entries (offset, length) at 4 and 8; value entries at
        // 12 (int16 1 inlined) and 15 (small array at offset 20); keys "a" at 18, "b" at 19; the array: count 2,
        // size 10, two inlined literals.
        var document = EventBytes.Hex("""
            00 0200 1e00
               1200 0100  1300 0100
               05 0100  02 1400
               61 62
               0200 0a00 04 0100 04 0000
            """);
        Assert.Equal("{\"a\": 1, \"b\": [true, null]}", Text(document));
    }

    [Fact]
    public void The_large_formats_use_four_byte_offsets_and_inline_32_bit_integers()
    {
        // Large array [70000, -1, "s"]: count 3, size; value entries of 5 bytes; int32 values inlined.
        var array = EventBytes.Hex("""
            03 03000000 1e000000
               07 70110100  07 ffffffff  0c 17000000
               01 73
            """);
        array[5] = (byte)(array.Length - 1); // size counts from the element count to the end
        Assert.Equal("[70000, -1, \"s\"]", Text(array));

        // Large object {"k": {}}: count 1; key entry (offset u32, length u16); value entry (type, offset u32).
        var obj = EventBytes.Hex("""
            01 01000000 1a000000
               13000000 0100
               00 14000000
               6b
               0000 0400
            """);
        obj[5] = (byte)(obj.Length - 1);
        Assert.Equal("{\"k\": {}}", Text(obj));
    }

    [Fact]
    public void Nested_containers_and_empty_ones()
    {
        // [[], {}, [1, [2]]] in the small format.
        var inner2 = Array([Int16(2)]);
        var inner = Array([Int16(1), (0x02, inner2)]);
        var document = Array([(0x02, Array([])), (0x00, Object([])), (0x02, inner)]);
        Assert.Equal("[[], {}, [1, [2]]]", Text([0x02, .. document]));
        Assert.Equal("{}", Text([0x00, .. Object([])]));
        Assert.Equal("[]", Text([0x02, .. Array([])]));

        // {"id": 7, "tags": ["x", "y"], "nested": {"deep": {"er": null}}}: keys are stored sorted by length, then bytes.
        var deep = Object([("er", (0x04, [0x00]))]);
        var nested = Object([("deep", (0x00, deep))]);
        var tags = Array([(0x0C, [0x01, (byte)'x']), (0x0C, [0x01, (byte)'y'])]);
        var root = Object([("id", Int16(7)), ("tags", (0x02, tags)), ("nested", (0x00, nested))]);
        Assert.Equal("{\"id\": 7, \"tags\": [\"x\", \"y\"], \"nested\": {\"deep\": {\"er\": null}}}", Text([0x00, .. root]));
    }

    [Fact]
    public void Opaque_dates_times_and_decimals_print_as_their_sql_values()
    {
        // Json_datetime: TIME_to_longlong_packed, 8 bytes little-endian. Date part ((year * 13 + month) << 5 | day) << 17,
        // time part hour << 12 | minute << 6 | second, the two shifted left 24 over the microseconds.
        static byte[] Packed(int year, int month, int day, int hour, int minute, int second, int micro)
        {
            var ymd = (long)((year * 13 + month) << 5 | day);
            var hms = (long)(hour << 12 | minute << 6 | second);
            return BitConverter.GetBytes(((ymd << 17 | hms) << 24) + micro);
        }
        Assert.Equal("\"2015-01-15\"", Text([0x0F, 10, 8, .. Packed(2015, 1, 15, 0, 0, 0, 0)]));
        Assert.Equal("\"2015-01-15 23:24:25.000012\"", Text([0x0F, 12, 8, .. Packed(2015, 1, 15, 23, 24, 25, 12)]));
        Assert.Equal("\"2038-01-19 03:14:07.500000\"", Text([0x0F, 7, 8, .. Packed(2038, 1, 19, 3, 14, 7, 500000)]));
        // TIME: hour << 12 | minute << 6 | second, shifted 24 over the microseconds, negated when negative.
        var time = -(((838L << 12 | 59 << 6 | 59) << 24) + 0);
        Assert.Equal("\"-838:59:59.000000\"", Text([0x0F, 11, 8, .. BitConverter.GetBytes(time)]));
        Assert.Equal("\"01:02:03.400000\"", Text([0x0F, 11, 8, .. BitConverter.GetBytes(((1L << 12 | 2 << 6 | 3) << 24) + 400000)]));

        // Json_decimal: precision, scale, then decimal2bin: 123.45 as DECIMAL(5,2) is 3 integer digits in 2 bytes
        // (0x007B, sign bit set) and 2 fraction digits in 1 byte (45).
        Assert.Equal("123.45", Text(0x0F, 246, 5, 5, 2, 0x80, 0x7B, 0x2D));
        // -1.50 as DECIMAL(4,2): 0x81 0x32 for 1.50, every byte inverted for the sign.
        Assert.Equal("-1.50", Text(0x0F, 246, 4, 4, 2, 0x7E, 0xCD));
        Assert.Equal("[123.45]", Text([0x02, .. Array([(0x0F, [246, 5, 5, 2, 0x80, 0x7B, 0x2D])])]));
    }

    [Fact]
    public void Other_opaque_values_print_as_base64_with_mysqls_line_breaks()
    {
        var blob = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var base64 = Convert.ToBase64String(blob);
        // base64_encode breaks lines every 76 characters; the newline is escaped inside the JSON string.
        Assert.Equal($"\"base64:type252:{base64[..76]}\\n{base64[76..]}\"", Text([0x0F, 252, 100, .. blob]));
        Assert.Equal("\"base64:type16:AQ==\"", Text(0x0F, 16, 1, 0x01));
        // Strings kept as opaque VAR_STRING print as strings.
        Assert.Equal("\"hi\"", Text(0x0F, 253, 2, (byte)'h', (byte)'i'));
    }

    [Fact]
    public void Malformed_documents_are_errors_not_guesses()
    {
        Assert.Contains("0x0D", Assert.Throws<BinlogFormatException>(() => Text(0x0D, 0x00)).Message);
        Assert.Throws<BinlogFormatException>(() => Text(0x04, 0x07));
        Assert.Throws<BinlogFormatException>(() => Text(0x0C, 0x05, (byte)'a'));
        Assert.Throws<BinlogFormatException>(() => Text(0x00, 0x01, 0x00, 0xFF, 0x00));
        Assert.Throws<BinlogFormatException>(() => Text(0x05, 0x01));
    }

    private static (byte Type, byte[] Bytes) Int16(short value) => (0x05, BitConverter.GetBytes(value));

    /// <summary>A small array per the grammar: count, size, value entries (type, inlined value or offset), values.</summary>
    private static byte[] Array((byte Type, byte[] Bytes)[] values)
    {
        var header = 4 + 3 * values.Length;
        var body = new List<byte>();
        var entries = new List<byte>();
        foreach (var (type, bytes) in values)
        {
            entries.Add(type);
            if (type is 0x04 or 0x05 or 0x06)
            {
                entries.AddRange(bytes.Length == 1 ? [bytes[0], 0] : bytes);
            }
            else
            {
                entries.AddRange(BitConverter.GetBytes((ushort)(header + body.Count)));
                body.AddRange(bytes);
            }
        }
        return [.. BitConverter.GetBytes((ushort)values.Length), .. BitConverter.GetBytes((ushort)(header + body.Count)), .. entries, .. body];
    }

    /// <summary>A small object: count, size, key entries (offset, length), value entries, keys, values.</summary>
    private static byte[] Object((string Key, (byte Type, byte[] Bytes) Value)[] members)
    {
        var keys = members.Select(m => Encoding.UTF8.GetBytes(m.Key)).ToArray();
        var header = 4 + 4 * members.Length + 3 * members.Length;
        var keyOffset = header;
        var keyEntries = new List<byte>();
        foreach (var key in keys)
        {
            keyEntries.AddRange(BitConverter.GetBytes((ushort)keyOffset));
            keyEntries.AddRange(BitConverter.GetBytes((ushort)key.Length));
            keyOffset += key.Length;
        }
        var body = new List<byte>();
        var valueEntries = new List<byte>();
        foreach (var (_, (type, bytes)) in members)
        {
            valueEntries.Add(type);
            if (type is 0x04 or 0x05 or 0x06)
            {
                valueEntries.AddRange(bytes.Length == 1 ? [bytes[0], 0] : bytes);
            }
            else
            {
                valueEntries.AddRange(BitConverter.GetBytes((ushort)(keyOffset + body.Count)));
                body.AddRange(bytes);
            }
        }
        var size = keyOffset + body.Count;
        return [.. BitConverter.GetBytes((ushort)members.Length), .. BitConverter.GetBytes((ushort)size), .. keyEntries, .. valueEntries,
            .. keys.SelectMany(k => k), .. body];
    }
}
