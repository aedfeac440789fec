namespace Relay.Binlog.Events;

/// <summary>The character sets whose text this decoder can turn into strings, plus binary (bytes) and the unknown.</summary>
internal enum MySqlCharset : byte
{
    /// <summary>No metadata said, and the caller did not either.</summary>
    Unknown = 0,
    /// <summary>Collation 63: the value is bytes.</summary>
    Binary,
    /// <summary>utf8mb4 and utf8mb3 (both are UTF-8 on the wire).</summary>
    Utf8,
    Ascii,
    /// <summary>MySQL's latin1: cp1252 with its five undefined bytes mapped to the C1 controls.</summary>
    Latin1,
    /// <summary>ucs2 and utf16: UTF-16 big-endian.</summary>
    Utf16BigEndian,
    Utf16LittleEndian,
    /// <summary>utf32: big-endian.</summary>
    Utf32BigEndian,
    /// <summary>A known charset this decoder does not convert (cp1250, sjis, ...): decoding its text is an error.</summary>
    Unsupported,
}
