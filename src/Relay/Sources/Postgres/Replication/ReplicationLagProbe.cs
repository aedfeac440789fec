using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Relay.Sources.LogTailing;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// The lag of a log-tailing source, from its replication slot: bytes between the server's current WAL
/// position and the slot's confirmed_flush_lsn, WAL retained from the slot's restart_lsn, the slot's
/// wal_status, and seconds, estimated from the times at which this probe saw the server's WAL position
/// pass the slot's confirmed position (the slot keeps no timestamps). Runs on a connection of its own.
/// </summary>
internal sealed class ReplicationLagProbe : ISourceLagProbe
{
    private static readonly string Sql = $"""
        SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
               s.confirmed_flush_lsn, s.restart_lsn, s.wal_status, {PostgresLeaseQuery.HeldSql}
        FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = @slot
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _slot;
    private readonly string _leaseName;
    private readonly LogLagClock _clock = new();

    public ReplicationLagProbe(string sourceName, PostgresReplicationOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName = $"relay-lag:{sourceName}";
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        _dataSource = builder.Build();
        _slot = options.Slot;
        _leaseName = PostgresLeaseQuery.LeaseName(sourceName);
    }

    /// <summary>A probe for a source whose options are valid (the host validated them at start-up).</summary>
    public static ISourceLagProbe Create(SourceContext context) =>
        new ReplicationLagProbe(context.Name, context.Services.GetRequiredService<IOptionsFactory<PostgresReplicationOptions>>().Create(context.Name));

    public async Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(Sql, connection);
        cmd.Parameters.AddWithValue("slot", _slot);
        cmd.Parameters.AddWithValue("lease_name", _leaseName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var current = (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(0);
        var leaseHeld = reader.GetBoolean(4);
        _clock.Observe(now, current);
        if (reader.IsDBNull(1) && reader.IsDBNull(2))
            return new SourceLagSample { LeaseHeld = leaseHeld }; // no slot yet: the first start creates it

        ulong? confirmed = reader.IsDBNull(1) ? null : (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(1);
        ulong? restart = reader.IsDBNull(2) ? null : (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(2);
        return new SourceLagSample
        {
            LagBytes = confirmed is { } c ? (long)(current > c ? current - c : 0) : null,
            RetainedBytes = restart is { } r ? (long)(current > r ? current - r : 0) : null,
            RetentionStatus = reader.IsDBNull(3) ? null : reader.GetString(3),
            LagSeconds = confirmed is { } c2 ? _clock.SecondsBehind(now, c2) : null,
            LeaseHeld = leaseHeld,
        };
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
