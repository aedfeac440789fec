using System.IO.Compression;

namespace Relay.Binlog.Events;

/// <summary>
/// MariaDB's compressed event data (log_bin_compress=ON; log_event.cc binlog_buf_compress): one header byte
/// 0x80 | algorithm &lt;&lt; 4 | length-size (algorithm 0 = zlib), the uncompressed length in that many big-endian
/// bytes, then a zlib stream.
/// </summary>
internal static class MariaDbCompression
{
    /// <summary>Inflates <paramref name="compressed"/> into <paramref name="buffer"/> (grown as needed); returns the length.</summary>
    public static int Inflate(ReadOnlySpan<byte> compressed, ref byte[] buffer, int maxSize)
    {
        if (compressed.Length < 2 || (compressed[0] & 0xE0) != 0x80)
            throw new BinlogFormatException($"compressed data starts with 0x{(compressed.IsEmpty ? 0 : compressed[0]):X2}, not a MariaDB compression header (0x8n, zlib)");
        var lengthSize = compressed[0] & 0x07;
        if (lengthSize is < 1 or > 4 || compressed.Length < 1 + lengthSize)
            throw new BinlogFormatException($"a MariaDB compression header with a {lengthSize}-byte length");
        var length = 0;
        for (var i = 1; i <= lengthSize; i++) length = length << 8 | compressed[i];
        if (length < 0 || length > maxSize)
            throw new BinlogFormatException($"compressed data claims {length} bytes uncompressed (the limit is {maxSize})");
        if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];

        var source = compressed[(1 + lengthSize)..].ToArray();
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(source, writable: false), CompressionMode.Decompress);
            var read = zlib.ReadAtLeast(buffer.AsSpan(0, length), length, throwOnEndOfStream: false);
            if (read != length || zlib.ReadByte() >= 0)
                throw new BinlogFormatException($"compressed data inflates to {(read == length ? "more than" : read.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, the header says {length}");
        }
        catch (InvalidDataException e)
        {
            throw new BinlogFormatException($"compressed data is not a valid zlib stream: {e.Message}", e);
        }
        return length;
    }
}
