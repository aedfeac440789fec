using System.IO.Pipes;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

public class PacketStreamTests
{
    private const int Max = PacketStream.MaxPayloadLength;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200_000)] // larger than the receive buffer: joined, though a single packet
    [InlineData(Max - 1)]
    [InlineData(Max)] // exactly one full packet: an empty packet must follow
    [InlineData(Max + 1)]
    [InlineData(2 * Max + 5)]
    public async Task Splits_payloads_at_16_MB_and_joins_them_back(int size)
    {
        var payload = Pattern(size);
        var wire = new MemoryStream();
        await using (var writer = new PacketStream(wire))
        {
            await writer.WritePacketAsync(payload, CancellationToken.None);
            Assert.Equal(size / Max + 1, writer.SequenceId);
        }
        var bytes = wire.ToArray();

        // The frame, checked by hand: full packets of 0xFFFFFF bytes, then one shorter (possibly empty) packet.
        int offset = 0;
        for (int i = 0; i <= size / Max; i++)
        {
            int length = bytes[offset] | bytes[offset + 1] << 8 | bytes[offset + 2] << 16;
            Assert.Equal(i < size / Max ? Max : size % Max, length);
            Assert.Equal(i, bytes[offset + 3]);
            offset += 4 + length;
        }
        Assert.Equal(bytes.Length, offset);

        await using var reader = new PacketStream(new TrickleStream(bytes, chunk: 65_537));
        var read = await reader.ReadPacketAsync(CancellationToken.None);
        Assert.True(read.Span.SequenceEqual(payload));
        Assert.Equal(size / Max + 1, reader.SequenceId);
    }

    [Fact]
    public async Task Reads_packets_that_arrive_one_byte_at_a_time_and_many_in_one_read()
    {
        var wire = new MemoryStream();
        await using (var writer = new PacketStream(wire))
        {
            for (int i = 0; i < 300; i++) await writer.WritePacketAsync(Pattern(i), CancellationToken.None);
        }
        foreach (int chunk in new[] { 1, 3, 1 << 20 })
        {
            await using var reader = new PacketStream(new TrickleStream(wire.ToArray(), chunk));
            for (int i = 0; i < 300; i++)
            {
                var packet = await reader.ReadPacketAsync(CancellationToken.None);
                Assert.True(packet.Span.SequenceEqual(Pattern(i)), $"packet {i} with reads of {chunk} bytes");
            }
            await Assert.ThrowsAsync<WireProtocolException>(async () => await reader.ReadPacketAsync(CancellationToken.None));
        }
    }

    [Fact]
    public async Task An_out_of_order_packet_is_a_protocol_error_but_an_ERR_packet_is_still_read()
    {
        // Sequence 0, then 2 instead of 1.
        await using var reader = new PacketStream(new MemoryStream([1, 0, 0, 0, 0x00, 1, 0, 0, 2, 0x00]));
        await reader.ReadPacketAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<WireProtocolException>(async () => await reader.ReadPacketAsync(CancellationToken.None));
        Assert.Contains("expected sequence id 1", error.Message);

        byte[] err = [0xFF, 0x10, 0x04, .."#08S01"u8, .."Bye"u8];
        await using var errReader = new PacketStream(new MemoryStream([(byte)err.Length, 0, 0, 7, .. err]));
        var packet = await errReader.ReadPacketAsync(CancellationToken.None);
        var parsed = ErrPacket.Parse(packet.Span);
        Assert.Equal(1040, parsed.ErrorCode);
        Assert.Equal("08S01", parsed.SqlState);
        Assert.Equal("Bye", parsed.Message);
    }

    [Fact]
    public async Task A_connection_closed_inside_a_packet_is_reported_as_closed()
    {
        await using var reader = new PacketStream(new MemoryStream([10, 0, 0, 0, 1, 2, 3]));
        var error = await Assert.ThrowsAsync<WireProtocolException>(async () => await reader.ReadPacketAsync(CancellationToken.None));
        Assert.Contains("closed the connection", error.Message);
        // The stream is unusable afterwards, and says so.
        await Assert.ThrowsAsync<WireProtocolException>(async () => await reader.ReadPacketAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Silence_longer_than_the_timeout_is_a_TimeoutException_and_cancellation_stays_cancellation()
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        await using var reader = new PacketStream(client) { IoTimeout = TimeSpan.FromMilliseconds(300), TimeoutHint = "Reconnect." };
        var started = DateTime.UtcNow;
        var timeout = await Assert.ThrowsAsync<TimeoutException>(async () => await reader.ReadPacketAsync(CancellationToken.None));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250), "the read gave up before its timeout");
        Assert.Equal("The server sent nothing for 0.3 s. Reconnect.", timeout.Message);

        using var server2 = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client2 = new AnonymousPipeClientStream(PipeDirection.In, server2.ClientSafePipeHandle);
        await using var reader2 = new PacketStream(client2) { IoTimeout = TimeSpan.FromSeconds(30) };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader2.ReadPacketAsync(cts.Token));
    }

    [Fact]
    public async Task Data_arriving_within_the_timeout_resets_it()
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        // Eight packets 300 ms apart take 2.4 s, longer than the timeout; each gap leaves 1.2 s for a busy machine's scheduling.
        await using var reader = new PacketStream(client) { IoTimeout = TimeSpan.FromMilliseconds(1500) };
        var feeding = Task.Run(async () =>
        {
            for (byte i = 0; i < 8; i++)
            {
                await Task.Delay(300);
                server.Write([1, 0, 0, i, 0x42]);
            }
        });
        for (int i = 0; i < 8; i++) Assert.Equal(0x42, (await reader.ReadPacketAsync(CancellationToken.None)).Span[0]);
        await feeding;
    }

    private static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (int i = 0; i < size; i++) bytes[i] = (byte)(i * 7 + size);
        return bytes;
    }

    /// <summary>A read-only stream that returns at most <c>chunk</c> bytes per read, as a socket may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
