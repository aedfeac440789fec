using System.Data.Common;

namespace Relay.Sources.Polling;

/// <summary>
/// What a database brings to polling: its session set-up, catalog, SQL and value reading. Everything else
/// (checking the table against the configuration, the lease, the poll-publish-release cycle, positions) is
/// shared by <see cref="PollingSource"/>, <see cref="PolledTable"/>, <see cref="PollingLagProbe"/> and <see cref="PollingSourceSetup"/>.
/// </summary>
internal abstract class PollingDialect : IAsyncDisposable
{
    /// <summary>Starts the positions this database's poller writes, e.g. "pgpoll:".</summary>
    public abstract string PositionPrefix { get; }

    /// <summary>The outbox table, quoted for SQL.</summary>
    public abstract string Table { get; }

    /// <summary>
    /// A session for polling: row-lock waits bounded by <paramref name="lockTimeout"/>, and whatever fixes how the
    /// server prints values (time zone, date style) so they come out in the normal form.
    /// </summary>
    public abstract Task<DbConnection> OpenAsync(TimeSpan lockTimeout, CancellationToken cancellationToken);

    /// <summary>The table's columns in their order, or null when there is no such table.</summary>
    public abstract Task<List<PolledColumn>?> ReadColumnsAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Throws a <see cref="RelayFatalException"/> naming the grant when the session's user lacks a right polling needs.</summary>
    public abstract Task CheckPrivilegesAsync(DbConnection connection, AfterPublish afterPublish, CancellationToken cancellationToken);

    public abstract Task<bool> HasIndexLedByAsync(DbConnection connection, PolledColumn column, CancellationToken cancellationToken);

    public abstract string Quote(string identifier);

    /// <summary>An integer type that may order rows; <see cref="IsTimestamp"/>: a type the mark column may have.</summary>
    public abstract bool IsInteger(PolledColumn column);

    public abstract bool IsTimestamp(PolledColumn column);

    /// <summary>The column type to suggest when a column of <paramref name="role"/> is missing, e.g. "text", "VARCHAR(255)".</summary>
    public abstract string SuggestedType(PolledColumnRole role);

    public abstract string SetNotNullSql(PolledColumn column);

    /// <summary>The column as the poll selects it (cast to text where the text form is the one to read).</summary>
    public abstract string SelectExpression(PolledColumn column);

    /// <summary>
    /// The lowest-ordered unpublished rows that have committed, never skipping a committed row: <paramref name="select"/>
    /// are the column expressions, <paramref name="unpublished"/> the filter of Mark mode (or null).
    /// </summary>
    public abstract DbCommand CreatePollCommand(DbConnection connection, string select, PolledColumn order, string? unpublished, int limit);

    /// <summary>Deletes, or marks with <paramref name="mark"/>, the rows whose order values are <paramref name="ids"/>.</summary>
    public abstract DbCommand CreateReleaseCommand(DbConnection connection, DbTransaction transaction, PolledColumn order, PolledColumn? mark, long[] ids);

    /// <summary>The value at <paramref name="ordinal"/> in the normal form of <see cref="ValueText"/>.</summary>
    public abstract object? ReadValue(DbDataReader reader, int ordinal, PolledColumn column);

    /// <summary>True when <paramref name="exception"/> says a row lock was not granted in time.</summary>
    public abstract bool IsLockTimeout(Exception exception);

    /// <summary>Whether the poll failed on a column that is gone or changed (the table was altered since it was inspected).</summary>
    public abstract bool IsColumnGone(Exception exception);

    /// <summary>How an operator finds the session holding the rows, for the lock-timeout error.</summary>
    public abstract string BlockingSessionHint { get; }

    /// <summary>A boolean SQL expression, true while some session holds the source's lease; parameter @lease_name is <see cref="LeaseName"/>.</summary>
    public abstract string LeaseHeldSql { get; }

    public abstract string LeaseName { get; }

    /// <summary>A numeric SQL expression: the seconds from the time in <paramref name="column"/> until now.</summary>
    public abstract string SecondsSince(string column);

    /// <summary>Releases what the dialect opened itself (a connection pool); nothing by default.</summary>
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
