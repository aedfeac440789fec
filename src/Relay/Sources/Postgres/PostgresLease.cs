using Microsoft.Extensions.Logging;
using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>The lease of a Postgres source: a session-level advisory lock keyed by the source name (see <see cref="PostgresLeaseQuery"/>).</summary>
public sealed class PostgresLease(string connectionString, string sourceName, ILogger logger)
    : SourceLease<NpgsqlConnection>(sourceName, logger)
{
    protected override async Task<NpgsqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"relay-lease:{SourceName}",
            KeepAlive = 10,
        };
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
}
