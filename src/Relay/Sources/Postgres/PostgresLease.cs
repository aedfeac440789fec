using Microsoft.Extensions.Logging;
using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>The lease of a Postgres source: a session-level advisory lock keyed by the source name (see <see cref="PostgresLeaseQuery"/>).</summary>
public sealed class PostgresLease(string connectionString, string sourceName, LeaseOptions options, ILogger logger)
    : SourceLease<NpgsqlConnection>(sourceName, options, logger)
{
    protected override async Task<NpgsqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"relay-lease:{SourceName}",
            TcpKeepAlive = true,
        };
        // The server gives up on a silent client (and so releases the lock) within Lease:Timeout, not the OS's 2 hours.
        builder.Options = $"{builder.Options} {Options.PostgresSessionOptions}".Trim();
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    protected override async Task<bool> TryLockAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@space, hashtext(@name))", session);
        cmd.Parameters.AddWithValue("space", PostgresLeaseQuery.LockSpace);
        cmd.Parameters.AddWithValue("name", PostgresLeaseQuery.LeaseName(SourceName));
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    protected override async Task<bool> IsHeldAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {PostgresLeaseQuery.HeldBySessionSql}", session);
        cmd.Parameters.AddWithValue("lease_name", PostgresLeaseQuery.LeaseName(SourceName));
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }
}
