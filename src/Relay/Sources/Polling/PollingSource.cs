using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Relay.Sources.Polling;

/// <summary>
/// Reads an outbox table by polling, whatever the database: locks the lowest-ordered rows in a transaction,
/// hands them out as one batch, and deletes (or marks) exactly those rows in that same transaction once the
/// sink committed them; only then it polls again. So at most one batch is ever in flight, and the sink's
/// committed position (the ids of that batch) is all a restart needs to finish a release a crash cut off.
/// The database's part is its <see cref="PollingDialect"/> and its <see cref="ISourceLease"/>.
/// </summary>
internal sealed class PollingSource : IOutboxSource
{
    /// <summary>
    /// The default MaxBatchRows of polling sources. Each batch pays a fixed cost (the locking query, the sink commit, the
    /// release and its database commit), so a backlog drains in large batches: 5,000 drained a 100k-row backlog 1.3-1.6×
    /// faster than 1,000 (bench/results/analysis.md). A quiet outbox still polls small batches: a poll takes what is there.
    /// </summary>
    public const int DefaultMaxBatchRows = 5000;

    /// <summary>How long a poll waits for rows another session holds before failing into a pipeline retry (see <see cref="PolledTable"/>).</summary>
    internal static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly string _name;
    private readonly IPollingOptions _options;
    private readonly PollingDialect _dialect;
    private readonly ISourceLease _lease;
    private readonly IConfigurationSection _section;
    private readonly ILogger _logger;
    // Serialises the use of the poll connection between the enumerator and AcknowledgeAsync.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private InFlightBatch? _inFlight;
    private SourcePosition? _lastReleased;
    private bool _acquired;
    private int _reading;

    public PollingSource(string name, IPollingOptions options, PollingDialect dialect, ISourceLease lease, IConfigurationSection section, ILogger logger)
    {
        _name = name;
        _options = options;
        _dialect = dialect;
        _lease = lease;
        _section = section;
        _logger = logger;
    }

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        await _lease.AcquireAsync(cancellationToken);
        _acquired = true;
    }

    public Task WatchLeaseAsync(Action<TimeSpan> held, CancellationToken cancellationToken) => _lease.WatchAsync(held, cancellationToken);

    public async IAsyncEnumerable<SourceBatch> ReadAsync(SourcePosition? committed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_acquired) throw new InvalidOperationException("Call AcquireAsync before ReadAsync: only the lease holder may poll.");
        if (Interlocked.Exchange(ref _reading, 1) == 1) throw new InvalidOperationException("The source is already being read.");

        var connection = await _dialect.OpenAsync(LockTimeout, cancellationToken);
        try
        {
            var table = await PolledTable.InspectAsync(connection, _dialect, _options, _section, _logger, _name, cancellationToken);
            _logger.LogInformation("Source {Source}: polling {Table} in {OrderColumn} order, every {PollInterval} when idle; AfterPublish={AfterPublish}",
                _name, _dialect.Table, table.Order.Name, _options.PollInterval, _options.AfterPublish);
            if (committed is { } position) await FinishReleaseAsync(connection, table, position, cancellationToken);

            var poll = table.CreatePollCommand(connection, _dialect, _options.MaxBatchRows);
            try
            {
                await poll.PrepareAsync(cancellationToken);

                while (true)
                {
                    (SourceBatch Batch, Task Released)? batch;
                    try
                    {
                        batch = await PollAsync(connection, table, poll, cancellationToken);
                    }
                    catch (Exception e) when (_dialect.IsColumnGone(e))
                    {
                        // Altered while Relay ran: read the table again. A mapped column gone is fatal; any other change is polled as it is now.
                        table = await InspectAgainAsync(connection, table, e, cancellationToken);
                        await poll.DisposeAsync();
                        poll = table.CreatePollCommand(connection, _dialect, _options.MaxBatchRows);
                        await poll.PrepareAsync(cancellationToken);
                        continue;
                    }
                    if (batch is null)
                    {
                        await Task.Delay(_options.PollInterval, cancellationToken);
                        continue;
                    }
                    yield return batch.Value.Batch;
                    // The next poll must not start before these rows are gone, or it would return them again.
                    await batch.Value.Released.WaitAsync(cancellationToken);
                }
            }
            finally
            {
                await poll.DisposeAsync();
            }
        }
        finally
        {
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                _inFlight?.Abandon();
                _inFlight = null;
                await connection.DisposeAsync(); // rolls back an unacknowledged batch, unlocking its rows
            }
            finally
            {
                _gate.Release();
                Volatile.Write(ref _reading, 0);
            }
        }
    }

    private async Task<PolledTable> InspectAgainAsync(DbConnection connection, PolledTable before, Exception failure, CancellationToken cancellationToken)
    {
        _logger.LogWarning("Source {Source}: polling {Table} failed on a column that is gone or changed ({Error}); reading the table's columns again",
            _name, _dialect.Table, failure.Message);
        try
        {
            var now = await PolledTable.InspectAsync(connection, _dialect, _options, _section, _logger, _name, cancellationToken);
            // Columns as before: the failure has another cause, left to the pipeline's retry rather than polled again at once.
            if (now.Source.SequenceEqual(before.Source)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            return now;
        }
        catch (RelayFatalException e)
        {
            throw new RelayFatalException(
                $"Source '{_name}': the outbox table {_dialect.Table} was altered while Relay polled it ({failure.Message}), and a column the mapping " +
                $"names is gone (renamed or dropped): {e.Message}", failure);
        }
    }

    public async Task AcknowledgeAsync(SourcePosition position, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var batch = _inFlight;
            if (batch is null || batch.Position != position)
            {
                if (position == _lastReleased) return; // acknowledged twice
                throw new InvalidOperationException(
                    $"Source {_name}: acknowledged position {position} is not the batch in flight ({batch?.Position.Value ?? "none"}).");
            }
            try
            {
                await batch.ReleaseAsync(cancellationToken);
            }
            catch (Exception e)
            {
                _inFlight = null;
                batch.Fail(e);
                throw;
            }
            _inFlight = null;
            _lastReleased = position;
            batch.Released();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(SourceBatch Batch, Task Released)?> PollAsync(DbConnection connection, PolledTable table, DbCommand poll, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        DbTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            poll.Transaction = transaction;
            var rows = new List<OutboxRow>();
            var ids = new List<long>();
            await using (var reader = await poll.ExecuteReaderAsync(cancellationToken))
            {
                var columns = table.Source;
                while (await reader.ReadAsync(cancellationToken))
                {
                    var values = new object?[columns.Count];
                    for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : _dialect.ReadValue(reader, i, columns[i]);
                    ids.Add(reader.GetInt64(table.OrderIndex));
                    rows.Add(new OutboxRow(table.Columns, values));
                }
            }
            if (rows.Count == 0)
            {
                await transaction.CommitAsync(cancellationToken);
                await transaction.DisposeAsync();
                transaction = null;
                return null;
            }
            var position = PolledPosition.Of(_dialect.PositionPrefix, ids).Encode();
            var batch = new InFlightBatch(connection, transaction, _dialect, table, ids.ToArray(), position);
            transaction = null; // owned by the batch now
            _inFlight = batch;
            return (new SourceBatch(rows, position), batch.Completion);
        }
        catch (Exception e) when (_dialect.IsLockTimeout(e))
        {
            throw new TimeoutException(
                $"Source {_name}: the oldest outbox rows in {_dialect.Table} stayed locked by another session for {LockTimeout.TotalSeconds:0}s " +
                $"(a stale relay or a manual transaction). Waiting keeps the per-aggregate order; find the session with {_dialect.BlockingSessionHint}.", e);
        }
        finally
        {
            if (transaction is not null) await transaction.DisposeAsync();
            _gate.Release();
        }
    }

    /// <summary>
    /// The sink committed the batch at <paramref name="committed"/> but the release may not have happened
    /// (a crash between the sink commit and the acknowledgement): release those rows now, so they are never yielded again.
    /// </summary>
    private async Task FinishReleaseAsync(DbConnection connection, PolledTable table, SourcePosition committed, CancellationToken cancellationToken)
    {
        if (!PolledPosition.TryParse(_dialect.PositionPrefix, committed.Value, out var position))
            throw new RelayFatalException(
                $"Source {_name}: the sink's committed position '{committed.Value}' was not written by this kind of polling source (it does not start with " +
                $"'{_dialect.PositionPrefix}'). The source name is shared with another source kind; give this source its own name under Relay:Sources.");
        if (position.Ids.Count == 0) return;

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var released = await InFlightBatch.ReleaseRowsAsync(connection, transaction, _dialect, table, position.Ids.ToArray(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (released > 0)
            _logger.LogInformation("Source {Source}: released {Count} row(s) the sink had committed before the last stop (position {Position})",
                _name, released, committed.Value);
        _lastReleased = committed;
    }

    public async ValueTask DisposeAsync()
    {
        await _lease.DisposeAsync();
        await _dialect.DisposeAsync();
    }

    /// <summary>A polled batch whose rows stay locked by its open transaction until the sink committed them.</summary>
    private sealed class InFlightBatch(DbConnection connection, DbTransaction transaction, PollingDialect dialect, PolledTable table, long[] ids, SourcePosition position)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SourcePosition Position => position;
        public Task Completion => _released.Task;

        public async Task ReleaseAsync(CancellationToken cancellationToken)
        {
            await ReleaseRowsAsync(connection, transaction, dialect, table, ids, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await transaction.DisposeAsync();
        }

        /// <summary>Deletes or marks the rows; more rows than ids means the order column is not unique, and releasing would drop unpublished rows.</summary>
        public static async Task<int> ReleaseRowsAsync(
            DbConnection connection, DbTransaction transaction, PollingDialect dialect, PolledTable table, long[] ids, CancellationToken cancellationToken)
        {
            await using var cmd = dialect.CreateReleaseCommand(connection, transaction, table.Order, table.Mark, ids);
            var affected = await cmd.ExecuteNonQueryAsync(cancellationToken);
            if (affected > ids.Length)
                throw new RelayFatalException(
                    $"Releasing {ids.Length} published row(s) touched {affected}: the order column's values are not unique, so a release would drop rows " +
                    "that were never published. Use an identity or auto-increment column and add a unique index on it.");
            return affected;
        }

        public void Released() => _released.TrySetResult();
        public void Fail(Exception e) => _released.TrySetException(e);
        public void Abandon() => _released.TrySetCanceled();
    }
}
