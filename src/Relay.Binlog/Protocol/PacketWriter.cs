using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Builds one packet payload (without the 4-byte header) in a pooled buffer that is reused from command to
/// command. <see cref="Clear"/> zeroes what was written, for payloads that carried a password or a scramble.
/// </summary>
internal sealed class PacketWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public PacketWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int Length => _length;

    public ReadOnlyMemory<byte> Payload => _buffer.AsMemory(0, _length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public void Reset() => _length = 0;

    /// <summary>Zeroes the written bytes and starts over.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _length));
        _length = 0;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void WriteUInt24(uint value)
    {
        if (value > 0xFFFFFF) throw new ArgumentOutOfRangeException(nameof(value), value, "A 3-byte integer holds at most 0xFFFFFF.");
        Ensure(3);
        _buffer[_length] = (byte)value;
        _buffer[_length + 1] = (byte)(value >> 8);
        _buffer[_length + 2] = (byte)(value >> 16);
        _length += 3;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteLengthEncodedInteger(ulong value)
    {
        switch (value)
        {
            case < 0xFB:
                WriteByte((byte)value);
                break;
            case <= 0xFFFF:
                WriteByte(0xFC);
                WriteUInt16((ushort)value);
                break;
            case <= 0xFFFFFF:
                WriteByte(0xFD);
                WriteUInt24((uint)value);
                break;
            default:
                WriteByte(0xFE);
                WriteUInt64(value);
                break;
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void WriteLengthEncodedBytes(ReadOnlySpan<byte> bytes)
    {
        WriteLengthEncodedInteger((ulong)bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteZeros(int count)
    {
        Ensure(count);
        _buffer.AsSpan(_length, count).Clear();
        _length += count;
    }

    /// <summary>UTF-8, no terminator (string&lt;EOF&gt; or string[len] when the length was written before).</summary>
    public void WriteString(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void WriteNullTerminatedString(string value)
    {
        WriteString(value);
        WriteByte(0);
    }

    private void Ensure(int count)
    {
        if (_length + count <= _buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
        _buffer = bigger;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, Array.Empty<byte>());
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        _length = 0;
    }
}
