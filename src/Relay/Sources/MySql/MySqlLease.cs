using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Relay.Sources.MySql;

/// <summary>
/// The lease of a MySQL or MariaDB source: GET_LOCK on a name derived from the source name. GET_LOCK is
/// server-wide, like the binlog and unlike a database; the name carries the source name so that sources never
/// share a lock.
/// </summary>
public sealed class MySqlLease(string connectionString, string sourceName, ILogger logger)
    : SourceLease<MySqlConnection>(sourceName, logger)
{
    /// <summary>The database session (CONNECTION_ID) holding the lock once acquired: IS_USED_LOCK names it.</summary>
    public long? Session => Connection?.ServerThread;

    /// <summary>The lock's name for a source: at most 64 characters, so a long source name is shortened with a hash to stay unique.</summary>
    public static string LockNameOf(string sourceName)
    {
        var name = "relay:" + sourceName;
        if (name.Length <= 64) return name;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sourceName)))[..16];
        return name[..47] + ":" + hash;
    }

    protected override async Task<MySqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"relay-lease:{SourceName}",
            Keepalive = 10,
        };
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    protected override async Task<bool> TryLockAsync(MySqlConnection session, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("SELECT GET_LOCK(@name, 0)", session);
        cmd.Parameters.AddWithValue("@name", LockNameOf(SourceName));
        return await cmd.ExecuteScalarAsync(cancellationToken) is (long)1 or (int)1;
    }
}
