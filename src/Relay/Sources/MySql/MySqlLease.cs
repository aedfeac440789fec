using System.Globalization;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Relay.Sources.MySql;

/// <summary>
/// The lease of a MySQL or MariaDB source: GET_LOCK on a name derived from the source name. GET_LOCK is
/// server-wide, like the binlog and unlike a database; the name carries the source name so that sources never
/// share a lock.
/// </summary>
public sealed class MySqlLease(string connectionString, string sourceName, LeaseOptions options, ILogger logger)
    : SourceLease<MySqlConnection>(sourceName, options, logger)
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
            Keepalive = (uint)Math.Max(1, Options.TimeoutSeconds / 3),
        };
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        try
        {
            // The server ends a session idle for wait_timeout, and its lock with it: the server's default (8 h) would keep
            // the lock of a cut-off relay for hours, a short global one would take it from a live holder. The holder checks
            // the lease every CheckInterval, well within Lease:Timeout, so only a client that is gone reaches it.
            var seconds = Options.TimeoutSeconds.ToString(CultureInfo.InvariantCulture);
            await using var cmd = new MySqlCommand($"SET SESSION wait_timeout = {seconds}, SESSION interactive_timeout = {seconds}", connection);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return connection;
    }

    protected override async Task<bool> TryLockAsync(MySqlConnection session, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("SELECT GET_LOCK(@name, 0)", session);
        cmd.Parameters.AddWithValue("@name", LockNameOf(SourceName));
        return await cmd.ExecuteScalarAsync(cancellationToken) is (long)1 or (int)1;
    }

    protected override async Task<bool> IsHeldAsync(MySqlConnection session, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("SELECT IS_USED_LOCK(@name) = CONNECTION_ID()", session);
        cmd.Parameters.AddWithValue("@name", LockNameOf(SourceName));
        return await cmd.ExecuteScalarAsync(cancellationToken) is (long)1 or (int)1 or (ulong)1;
    }

    /// <summary>Whether this relay still holds the lease, asked once (within the check timeout); false when it cannot tell.</summary>
    public async Task<bool> IsStillHeldAsync(CancellationToken cancellationToken)
    {
        if (Connection is not { } session) return false;
        try
        {
            return await StillHeldAsync(session, cancellationToken);
        }
        catch (SourceLeaseLostException)
        {
            return false;
        }
    }
}
