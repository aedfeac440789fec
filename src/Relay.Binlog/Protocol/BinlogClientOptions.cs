namespace Relay.Binlog.Protocol;

/// <summary>How a <see cref="BinlogClient"/> connects and what it asks of the server's dump thread.</summary>
public sealed class BinlogClientOptions
{
    /// <summary>A MySqlConnector connection string: Server, Port, User ID, Password, SslMode, SslCa, ConnectionTimeout are used.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>This replica's server id: unique among the server, its replicas and every other relay (the server drops the older duplicate).</summary>
    public required uint ServerId { get; init; }

    /// <summary>How often the server sends a heartbeat while it has no events; <see cref="TimeSpan.Zero"/> turns heartbeats off.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Silence after which a read gives up with <see cref="TimeoutException"/>; by default 3 × the heartbeat interval (none without heartbeats).</summary>
    public TimeSpan? ReadTimeout { get; init; }

    /// <summary>End the stream (EOF) at the end of the binlog instead of waiting for new events.</summary>
    public bool NonBlocking { get; init; }

    /// <summary>MariaDB: also send ANNOTATE_ROWS events (the statement text); they make the stream much larger.</summary>
    public bool SendAnnotateRows { get; init; }

    /// <summary>MariaDB GTID starts: @slave_gtid_strict_mode for the dump; null leaves the server's default.</summary>
    public bool? GtidStrictMode { get; init; }

    /// <summary>Host name shown by SHOW SLAVE HOSTS; empty by default.</summary>
    public string ReportHost { get; init; } = "";

    public TimeSpan EffectiveReadTimeout => ReadTimeout
        ?? (HeartbeatInterval > TimeSpan.Zero ? HeartbeatInterval * 3 : Timeout.InfiniteTimeSpan);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException("BinlogClientOptions.ConnectionString is empty; give the MySQL/MariaDB connection string.");
        if (ServerId == 0)
            throw new ArgumentException("BinlogClientOptions.ServerId is 0, which a server refuses for a replica; choose a number unique among the server and its replicas.");
        if (HeartbeatInterval < TimeSpan.Zero || HeartbeatInterval > TimeSpan.FromSeconds(4294967))
            throw new ArgumentException($"BinlogClientOptions.HeartbeatInterval {HeartbeatInterval} is out of range (0 to 4294967 s).");
        if (HeartbeatInterval > TimeSpan.Zero && HeartbeatInterval < TimeSpan.FromMilliseconds(1))
            throw new ArgumentException("BinlogClientOptions.HeartbeatInterval must be at least 1 ms, or zero to turn heartbeats off.");
        if (ReadTimeout is { } timeout && timeout != Timeout.InfiniteTimeSpan)
        {
            if (timeout <= TimeSpan.Zero)
                throw new ArgumentException("BinlogClientOptions.ReadTimeout must be positive (or Timeout.InfiniteTimeSpan for none).");
            if (HeartbeatInterval > TimeSpan.Zero && timeout <= HeartbeatInterval)
                throw new ArgumentException($"BinlogClientOptions.ReadTimeout {timeout} must be longer than the heartbeat interval {HeartbeatInterval}, or an idle binlog times out.");
        }
    }
}
