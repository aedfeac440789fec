using System.Buffers.Binary;
using System.Numerics;

namespace Relay.Binlog.Gtids;

/// <summary>
/// The variable-length integers of MySQL's serialization library (libs/mysql/serialization/readme.md,
/// variable_length_integers.h), used by tagged GTID events and the tagged GTID-set encoding: 1-9 bytes,
/// little-endian, the count of trailing one bits of the first byte plus one is the byte count; signed values are
/// stored as (|x| or -(x+1)) shifted left with the sign in bit 0.
/// </summary>
internal static class SerializationVarlen
{
    public static int Size(ulong value) => ((64 - BitOperations.LeadingZeroCount(value)) * 575 >> 12) + 1;

    public static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        var count = Size(value);
        destination[0] = (byte)(((1 << (count - 1)) - 1) | (byte)(value << count));
        if (count == 1) return 1;
        // The low bits went into the first byte; the rest follows, little-endian (9 bytes: the whole value).
        var rest = value >> (8 - count + ((count + 7) >> 4));
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, rest);
        bytes[..(count - 1)].CopyTo(destination[1..]);
        return count;
    }

    public static int WriteSigned(Span<byte> destination, long value)
    {
        var sign = value >> 63;
        return WriteUnsigned(destination, (ulong)(value ^ sign) << 1 | (ulong)(sign & 1));
    }

    /// <summary>Reads an unsigned varlen; returns the bytes used, or 0 when the data ends inside it.</summary>
    public static int ReadUnsigned(ReadOnlySpan<byte> source, out ulong value)
    {
        value = 0;
        if (source.IsEmpty) return 0;
        var first = source[0];
        var count = BitOperations.TrailingZeroCount(~(uint)first) + 1;
        if (count > source.Length) return 0;
        if (count == 1)
        {
            value = (ulong)(first >> 1);
            return 1;
        }
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        source.Slice(1, count - 1).CopyTo(bytes);
        var rest = BinaryPrimitives.ReadUInt64LittleEndian(bytes) << (8 - count + ((count + 7) >> 4));
        value = (count < 8 ? (ulong)(first >> count) : 0) | rest;
        return count;
    }

    public static int ReadSigned(ReadOnlySpan<byte> source, out long value)
    {
        var used = ReadUnsigned(source, out var raw);
        var sign = -(long)(raw & 1);
        value = (long)(raw >> 1) ^ sign;
        return used;
    }
}
