namespace Relay.Sources.MySql.Binlog.Protocol;

/// <summary>
/// The server sent something the protocol does not allow (a malformed or out-of-order packet, an unexpected
/// packet kind) or closed the connection. The connection is unusable afterwards: reconnect.
/// </summary>
internal sealed class MySqlProtocolException : IOException
{
    public MySqlProtocolException(string message) : base(message) { }

    public MySqlProtocolException(string message, Exception inner) : base(message, inner) { }
}
