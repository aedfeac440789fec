using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// The lag of a polling source: rows waiting in the outbox table (still there, or not yet marked),
/// counted up to <see cref="CountCap"/>, and, when the source names a TimestampColumn (a timestamptz
/// set when the row is written), the age of the oldest waiting row in seconds. Runs on a connection
/// of its own; the lease check tells a standby from a start-up.
/// </summary>
internal sealed class PollingLagProbe : ISourceLagProbe
{
    /// <summary>Counting stops here, so a huge backlog does not make every sample a long scan.</summary>
    public const long CountCap = 10_000_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _sql;
    private readonly string _leaseName;
    private readonly bool _hasTimestamp;

    public PollingLagProbe(string sourceName, PostgresPollingOptions options, string? timestampColumn)
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName = $"relay-lag:{sourceName}";
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        _dataSource = builder.Build();
        _leaseName = PostgresLeaseQuery.LeaseName(sourceName);
        _hasTimestamp = !string.IsNullOrWhiteSpace(timestampColumn);

        var table = options.Table.Quoted;
        var waiting = options.AfterPublish == AfterPublish.Mark ? $" WHERE {PostgresTableName.Quote(options.MarkColumn)} IS NULL" : "";
        var oldest = _hasTimestamp
            ? $"(SELECT extract(epoch FROM clock_timestamp() - {PostgresTableName.Quote(timestampColumn!)})::float8 FROM {table}{waiting} ORDER BY {PostgresTableName.Quote(options.OrderColumn)} LIMIT 1)"
            : "NULL::float8";
        _sql = $"SELECT (SELECT count(*) FROM (SELECT 1 FROM {table}{waiting} LIMIT {CountCap}) w), {oldest}, {PostgresLeaseQuery.HeldSql}";
    }

    /// <summary>A probe for a source whose options are valid (the host validated them at start-up).</summary>
    public static ISourceLagProbe Create(SourceContext context)
    {
        var options = context.Services.GetRequiredService<IOptionsFactory<PostgresPollingOptions>>().Create(context.Name);
        return new PollingLagProbe(context.Name, options, options.TimestampColumn);
    }

    public async Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(_sql, connection);
        cmd.Parameters.AddWithValue("lease_name", _leaseName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var pending = reader.GetInt64(0);
        double? oldest = _hasTimestamp ? (reader.IsDBNull(1) ? 0 : Math.Max(0, reader.GetDouble(1))) : null;
        return new SourceLagSample
        {
            PendingRows = pending,
            OldestPendingSeconds = oldest,
            LagSeconds = oldest,
            LeaseHeld = reader.GetBoolean(2),
        };
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
