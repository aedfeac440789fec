namespace Relay.Binlog.Protocol;

/// <summary>
/// The server sent something the protocol does not allow (a malformed or out-of-order packet, an unexpected
/// packet kind) or closed the connection. The connection is unusable afterwards: reconnect.
/// </summary>
internal sealed class WireProtocolException : IOException
{
    public WireProtocolException(string message) : base(message) { }

    public WireProtocolException(string message, Exception inner) : base(message, inner) { }
}
