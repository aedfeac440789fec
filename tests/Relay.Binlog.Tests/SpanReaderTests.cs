using Relay.Binlog.Events;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests;

/// <summary>
/// The one span reader behind event decoding and packet parsing: the same malformed bytes fail as a binlog format
/// error or as a wire protocol error, whichever its owner chose, and the message says what was being read.
/// </summary>
public class SpanReaderTests
{
    private static readonly byte[] ThreeBytes = [1, 2, 3];

    [Fact]
    public void A_truncated_event_is_a_format_error_naming_what_was_read()
    {
        var error = Assert.Throws<BinlogFormatException>(() => new SpanReader(ThreeBytes, SpanErrors.BinlogFormat).ReadUInt32("the table id"));
        Assert.Equal("the event is truncated: the table id needs 4 bytes at offset 0 but 3 remain", error.Message);
    }

    [Fact]
    public void A_truncated_packet_is_a_wire_protocol_error_naming_what_was_read()
    {
        var error = Assert.Throws<WireProtocolException>(() => new SpanReader(ThreeBytes, SpanErrors.WireProtocol).ReadUInt32("the connection id"));
        Assert.Equal("Malformed packet from the server: the connection id needs 4 bytes at offset 0 of a 3-byte packet.", error.Message);
    }

    [Fact]
    public void A_negative_length_fails_as_the_owner_chose()
    {
        Assert.Contains("negative length -1", Assert.Throws<BinlogFormatException>(() => new SpanReader(ThreeBytes, SpanErrors.BinlogFormat).Skip(-1, "a field")).Message);
        Assert.Contains("negative length -1", Assert.Throws<WireProtocolException>(() => new SpanReader(ThreeBytes, SpanErrors.WireProtocol).Skip(-1, "a field")).Message);
    }

    [Fact]
    public void A_bad_packed_integer_prefix_fails_as_the_owner_chose()
    {
        byte[] bad = [0xFF, 0, 0];
        Assert.Contains("0xFF", Assert.Throws<BinlogFormatException>(() => new SpanReader(bad, SpanErrors.BinlogFormat).ReadPackedInteger()).Message);
        Assert.Contains("0xFF", Assert.Throws<WireProtocolException>(() => new SpanReader(bad, SpanErrors.WireProtocol).ReadPackedInteger()).Message);
    }

    [Fact]
    public void Good_bytes_read_the_same_for_either_owner()
    {
        // 0xFC + 2 bytes is a packed 0x0201; then a 0xFB NULL column marker and a NUL-terminated "a".
        byte[] bytes = [0xFC, 0x01, 0x02, 0xFB, (byte)'a', 0];
        foreach (var errors in new[] { SpanErrors.BinlogFormat, SpanErrors.WireProtocol })
        {
            var reader = new SpanReader(bytes, errors);
            Assert.Equal(0x0201UL, reader.ReadPackedInteger());
            Assert.True(reader.TryReadNull());
            Assert.False(reader.TryReadNull());
            Assert.Equal("a", reader.ReadNullTerminatedString());
            Assert.True(reader.IsAtEnd);
        }
    }
}
