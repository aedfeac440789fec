namespace Relay.Binlog.Protocol;

/// <summary>
/// The server ended this dump because another replica registered with the same server id: MySQL and MariaDB
/// keep one dump per server id and kill the older one. Two relays (or a relay and a real replica) share an id.
/// </summary>
public sealed class BinlogServerIdConflictException : MySqlServerException
{
    public BinlogServerIdConflictException(int errorCode, string sqlState, string serverMessage, uint serverId)
        : base(errorCode, sqlState, serverMessage,
            $"(another replica connected with this client's server id {serverId}; give every relay and replica its own server id)")
    {
        ServerId = serverId;
    }

    public uint ServerId { get; }
}
