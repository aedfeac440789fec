using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Reads the fields of one packet payload: little-endian integers, length-encoded integers and strings,
/// NUL-terminated strings. Reading past the end throws <see cref="WireProtocolException"/>, never an index error.
/// </summary>
internal ref struct PacketReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public PacketReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _offset = 0;
    }

    public readonly int Offset => _offset;

    public readonly int Remaining => _data.Length - _offset;

    public readonly bool IsEmpty => _offset >= _data.Length;

    public readonly byte PeekByte()
    {
        Need(1);
        return _data[_offset];
    }

    public byte ReadByte()
    {
        Need(1);
        return _data[_offset++];
    }

    public ushort ReadUInt16()
    {
        Need(2);
        var value = BinaryPrimitives.ReadUInt16LittleEndian(_data[_offset..]);
        _offset += 2;
        return value;
    }

    public uint ReadUInt24()
    {
        Need(3);
        uint value = (uint)(_data[_offset] | _data[_offset + 1] << 8 | _data[_offset + 2] << 16);
        _offset += 3;
        return value;
    }

    public uint ReadUInt32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_offset..]);
        _offset += 4;
        return value;
    }

    public ulong ReadUInt64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_offset..]);
        _offset += 8;
        return value;
    }

    /// <summary>A length-encoded integer (1, 3, 4 or 9 bytes). 0xFB (NULL in a text row) is not an integer here.</summary>
    public ulong ReadLengthEncodedInteger()
    {
        byte first = ReadByte();
        return first switch
        {
            < 0xFB => first,
            0xFC => ReadUInt16(),
            0xFD => ReadUInt24(),
            0xFE => ReadUInt64(),
            _ => throw Malformed($"0x{first:X2} at offset {_offset - 1} is not a length-encoded integer"),
        };
    }

    /// <summary>Consumes a 0xFB byte (a NULL column of a text row) if one is next.</summary>
    public bool TryReadNull()
    {
        if (PeekByte() != 0xFB) return false;
        _offset++;
        return true;
    }

    public ReadOnlySpan<byte> ReadLengthEncodedBytes()
    {
        ulong length = ReadLengthEncodedInteger();
        if (length > int.MaxValue) throw Malformed($"a length-encoded string of {length} bytes");
        return ReadBytes((int)length);
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        var bytes = _data.Slice(_offset, count);
        _offset += count;
        return bytes;
    }

    public ReadOnlySpan<byte> ReadNullTerminated()
    {
        var rest = _data[_offset..];
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw Malformed($"the string at offset {_offset} has no NUL terminator");
        _offset += end + 1;
        return rest[..end];
    }

    public string ReadNullTerminatedString() => Encoding.UTF8.GetString(ReadNullTerminated());

    public ReadOnlySpan<byte> ReadRest()
    {
        var rest = _data[_offset..];
        _offset = _data.Length;
        return rest;
    }

    public void Skip(int count)
    {
        Need(count);
        _offset += count;
    }

    private readonly void Need(int count)
    {
        if ((uint)count > (uint)(_data.Length - _offset))
            ThrowTooShort(count, _offset, _data.Length);
    }

    [DoesNotReturn]
    private static void ThrowTooShort(int count, int offset, int length) =>
        throw Malformed($"{count} bytes needed at offset {offset} of a {length}-byte packet");

    private static WireProtocolException Malformed(string what) => new($"Malformed packet from the server: {what}.");
}
