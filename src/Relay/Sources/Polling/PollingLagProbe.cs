using System.Globalization;
using Dapper;

namespace Relay.Sources.Polling;

/// <summary>
/// The lag of a polling source, whatever its database: rows waiting in the outbox table (still there, or not yet
/// marked), counted up to <see cref="CountCap"/>, and, when the source names a TimestampColumn (set by the database
/// when the row is written), the age of the oldest waiting row in seconds. The dialect writes the database's part of
/// the SQL (the age, the lease check that tells a standby from a start-up). Runs on a connection of its own.
/// </summary>
internal sealed class PollingLagProbe : ISourceLagProbe
{
    /// <summary>Counting stops here, so a huge backlog does not make every sample a long scan.</summary>
    public const long CountCap = 10_000_000;

    /// <summary>The probe takes no row locks; the dialect's session still wants a bound for them.</summary>
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly PollingDialect _dialect;
    private readonly string _sql;
    private readonly bool _hasTimestamp;

    public PollingLagProbe(IPollingOptions options, PollingDialect dialect)
    {
        _dialect = dialect;
        _hasTimestamp = !string.IsNullOrWhiteSpace(options.TimestampColumn);
        var table = dialect.Table;
        var waiting = options.AfterPublish == AfterPublish.Mark ? $" WHERE {dialect.Quote(options.MarkColumn)} IS NULL" : "";
        var oldest = _hasTimestamp
            ? $"(SELECT {dialect.SecondsSince(options.TimestampColumn!)} FROM {table}{waiting} ORDER BY {dialect.Quote(options.OrderColumn)} LIMIT 1)"
            : "NULL";
        _sql = $"SELECT (SELECT count(*) FROM (SELECT 1 FROM {table}{waiting} LIMIT {CountCap}) w), {oldest}, {dialect.LeaseHeldSql}";
    }

    public async Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(LockTimeout, cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            _sql, new { lease_name = _dialect.LeaseName }, cancellationToken: cancellationToken));
        await reader.ReadAsync(cancellationToken);
        double? oldest = _hasTimestamp ? (reader.IsDBNull(1) ? 0 : Math.Max(0, Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture))) : null;
        return new SourceLagSample
        {
            PendingRows = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
            OldestPendingSeconds = oldest,
            LagSeconds = oldest,
            LeaseHeld = Convert.ToBoolean(reader.GetValue(2), CultureInfo.InvariantCulture),
        };
    }

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();
}
