using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Relay.Binlog.Events;
using Relay.Binlog.Protocol;

namespace Relay.Binlog;

/// <summary>
/// A forward-only little-endian reader over one event's bytes or one packet's payload: fixed-size and MySQL
/// length-encoded (packed) integers, byte strings. Every read checks the bounds and fails with the exception
/// <see cref="SpanErrors"/> names, saying what was being read, never with an index exception or a silent short read.
/// The exception is only built on the failure path, so both kinds of reader run the same code when the bytes are good.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly SpanErrors _errors;
    private int _position;

    public SpanReader(ReadOnlySpan<byte> data, SpanErrors errors)
    {
        _data = data;
        _errors = errors;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool IsAtEnd => _position >= _data.Length;

    public readonly byte PeekByte(string what = "a byte")
    {
        Need(1, what);
        return _data[_position];
    }

    public byte ReadByte(string what = "a byte")
    {
        Need(1, what);
        return _data[_position++];
    }

    public ushort ReadUInt16(string what = "a 2-byte integer")
    {
        Need(2, what);
        var value = BinaryPrimitives.ReadUInt16LittleEndian(_data[_position..]);
        _position += 2;
        return value;
    }

    public uint ReadUInt24(string what = "a 3-byte integer")
    {
        Need(3, what);
        var value = (uint)(_data[_position] | _data[_position + 1] << 8 | _data[_position + 2] << 16);
        _position += 3;
        return value;
    }

    public uint ReadUInt32(string what = "a 4-byte integer")
    {
        Need(4, what);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    public ulong ReadUInt48(string what = "a 6-byte integer")
    {
        Need(6, what);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]) |
                    (ulong)BinaryPrimitives.ReadUInt16LittleEndian(_data[(_position + 4)..]) << 32;
        _position += 6;
        return value;
    }

    public ulong ReadUInt64(string what = "an 8-byte integer")
    {
        Need(8, what);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    /// <summary>An unsigned little-endian integer of 1 to 8 bytes.</summary>
    public ulong ReadUInt(int bytes, string what)
    {
        Need(bytes, what);
        ulong value = 0;
        for (var i = bytes - 1; i >= 0; i--) value = value << 8 | _data[_position + i];
        _position += bytes;
        return value;
    }

    /// <summary>
    /// MySQL's packed (length-encoded) integer, net_field_length_ll: one byte below 251, else 0xFC + 2 bytes,
    /// 0xFD + 3 bytes, 0xFE + 8 bytes. 0xFB (SQL NULL in a text row, see <see cref="TryReadNull"/>) and 0xFF are
    /// not integers.
    /// </summary>
    public ulong ReadPackedInteger(string what = "a packed integer")
    {
        var first = ReadByte(what);
        return first switch
        {
            < 251 => first,
            252 => ReadUInt16(what),
            253 => ReadUInt24(what),
            254 => ReadUInt64(what),
            _ => throw Malformed($"{what}: 0x{first:X2} is not a valid packed-integer prefix (offset {_position - 1})"),
        };
    }

    /// <summary>A packed integer that must fit the remaining bytes, used as a length of what follows.</summary>
    public int ReadPackedLength(string what)
    {
        var value = ReadPackedInteger(what);
        if (value > (ulong)Remaining)
            throw Malformed($"{what} is {value} bytes but only {Remaining} remain (offset {_position})");
        return (int)value;
    }

    /// <summary>A length-encoded string: a packed length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadPackedBytes(string what) => ReadBytes(ReadPackedLength(what), what);

    /// <summary>Consumes a 0xFB byte (a NULL column of a text row) if one is next.</summary>
    public bool TryReadNull()
    {
        if (PeekByte("a column") != 0xFB) return false;
        _position++;
        return true;
    }

    public ReadOnlySpan<byte> ReadBytes(int count, string what)
    {
        Need(count, what);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    public void Skip(int count, string what)
    {
        Need(count, what);
        _position += count;
    }

    public ReadOnlySpan<byte> ReadNullTerminated(string what = "the string")
    {
        var rest = _data[_position..];
        var end = rest.IndexOf((byte)0);
        if (end < 0) throw Malformed($"{what} at offset {_position} has no NUL terminator");
        _position += end + 1;
        return rest[..end];
    }

    public string ReadNullTerminatedString(string what = "the string") => Encoding.UTF8.GetString(ReadNullTerminated(what));

    public ReadOnlySpan<byte> ReadToEnd()
    {
        var span = _data[_position..];
        _position = _data.Length;
        return span;
    }

    // One unsigned compare also rejects a negative count, which a corrupt length can produce.
    private readonly void Need(int count, string what)
    {
        if ((uint)count > (uint)(_data.Length - _position)) ThrowTooShort(count, what);
    }

    [DoesNotReturn]
    private readonly void ThrowTooShort(int count, string what)
    {
        if (count < 0) throw Malformed($"{what}: negative length {count}");
        throw _errors == SpanErrors.BinlogFormat
            ? new BinlogFormatException(
                $"the event is truncated: {what} needs {count} bytes at offset {_position} but {_data.Length - _position} remain")
            : Malformed($"{what} needs {count} bytes at offset {_position} of a {_data.Length}-byte packet");
    }

    private readonly Exception Malformed(string problem) => _errors == SpanErrors.BinlogFormat
        ? new BinlogFormatException(problem)
        : new WireProtocolException($"Malformed packet from the server: {problem}.");
}
