namespace Relay.Sources.MySql.Binlog;

/// <summary>The keys of a MySqlBinlog source (section Relay:Sources:&lt;name&gt;), for MySQL 8 and MariaDB.</summary>
public sealed class MySqlBinlogOptions : MySqlSourceOptions
{
    /// <summary>
    /// The server id Relay registers with, as a replica does: unique among the server, its replicas and every other
    /// binlog reader (the server drops the older connection of two with one id). Default: derived from the source name.
    /// </summary>
    public uint ServerId { get; set; }

    /// <summary>How often the server sends a heartbeat while the binlog is quiet; a read waits three times this before reconnecting.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the committed position moves on while the outbox is quiet (a commit without messages).</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A server id from the source name, in the upper half of the range where people rarely number servers.</summary>
    public static uint DefaultServerId(string sourceName)
    {
        var hash = System.IO.Hashing.Crc32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(sourceName));
        return 0x4000_0000u | (hash & 0x3FFF_FFFFu);
    }
}
