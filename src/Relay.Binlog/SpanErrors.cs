namespace Relay.Binlog;

/// <summary>
/// What a <see cref="SpanReader"/> throws when the bytes do not hold what is read: callers report a malformed event and
/// a malformed server packet differently (the first names the event and its binlog position, the second means
/// "reconnect"), so the reader's owner chooses.
/// </summary>
internal enum SpanErrors : byte
{
    /// <summary>A <see cref="Events.BinlogFormatException"/>: the bytes are (part of) a binlog event.</summary>
    BinlogFormat,

    /// <summary>A <see cref="Protocol.WireProtocolException"/>: the bytes are a packet payload from the server.</summary>
    WireProtocol,
}
