using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Relay.Sources.LogTailing;

/// <summary>
/// What every log-tailing source does, whatever the database: one batch per committed transaction that
/// inserted outbox rows, in commit order; a transaction larger than MaxBatchRows in chunks with partial
/// positions; on restart, skipping exactly what the sink's committed position covers; confirming the
/// database (letting it release its log) only up to what the sink committed; and, while the outbox is quiet,
/// batches without rows that carry the position along the log, so the log the database keeps for Relay does
/// not grow behind an idle outbox, and a restart does not re-read it. A database supplies its decoding
/// (<see cref="OpenAsync"/>, <see cref="ReadLogAsync"/>), its position type, where its log stands between
/// transactions (<see cref="IdlePosition"/>) and its confirmation (<see cref="Confirm"/>).
/// </summary>
internal abstract class LogTailingSource<TPosition, TTransaction> : IOutboxSource
    where TPosition : struct, ILogPosition<TPosition>
    where TTransaction : ILogTransaction<TPosition>
{
    private readonly string _kind;
    private readonly int _maxBatchRows;
    private readonly TimeSpan _statusInterval;
    private readonly Lock _confirming = new();
    private TPosition? _confirmed;
    private int _reading;

    protected LogTailingSource(string sourceName, string kind, int maxBatchRows, TimeSpan statusInterval, ILogger logger)
    {
        SourceName = sourceName;
        _kind = kind;
        _maxBatchRows = maxBatchRows;
        _statusInterval = statusInterval;
        Logger = logger;
    }

    protected string SourceName { get; }
    protected ILogger Logger { get; }

    public abstract Task AcquireAsync(CancellationToken cancellationToken);

    public abstract Task WatchLeaseAsync(Action<TimeSpan> held, CancellationToken cancellationToken);

    /// <summary>
    /// Checks the database and opens its log after <paramref name="committed"/> (null: nothing committed yet).
    /// Returns where the log starts when the source can name it; on a first start that position is committed at
    /// once, so a crash before the first message cannot move the start past rows committed in between.
    /// </summary>
    protected abstract Task<TPosition?> OpenAsync(TPosition? committed, CancellationToken cancellationToken);

    /// <summary>The log's changes, from where <see cref="OpenAsync"/> opened it: only outbox rows, with their transactions' begins and commits.</summary>
    protected abstract IAsyncEnumerable<LogChange<TTransaction>> ReadLogAsync(CancellationToken cancellationToken);

    /// <summary>Where the log stands; called only between transactions, while the next change is awaited. Null when unknown.</summary>
    protected abstract TPosition? IdlePosition();

    /// <summary>
    /// The sink committed everything up to <paramref name="position"/>, a complete one: the database may release its log
    /// up to there. Synchronous: it only records the position (for the connection's next status update, for the lag
    /// probe), never waits on the database, so it runs under <see cref="AcknowledgeAsync"/>'s lock.
    /// </summary>
    protected abstract void Confirm(TPosition position);

    public IAsyncEnumerable<SourceBatch> ReadAsync(SourcePosition? committed, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
            throw new InvalidOperationException("A log-tailing source streams once; create a new one to start over.");
        TPosition? from = null;
        if (committed is { } position)
        {
            if (!TPosition.TryParse(position.Value, out var parsed))
            {
                throw new RelayFatalException(
                    $"Source '{SourceName}': the sink's committed position '{position.Value}' was not written by a {_kind} source. " +
                    "If this source changed its kind, give it a new name (or a new sink stream), so that it starts without a foreign position.");
            }
            from = parsed;
        }
        return StreamAsync(from, cancellationToken);
    }

    private async IAsyncEnumerable<SourceBatch> StreamAsync(TPosition? committed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = await OpenAsync(committed, cancellationToken);
        var lastEmitted = committed;
        var lastEmittedAt = Stopwatch.GetTimestamp();
        if (committed is null && start is { } origin)
        {
            lastEmitted = origin;
            yield return Empty(origin);
        }

        // The log is read under a token of its own, so that leaving early can stop a read in flight and wait for
        // it: an async enumerator must not be disposed while a MoveNextAsync is pending.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var changes = ReadLogAsync(reading.Token).GetAsyncEnumerator(reading.Token);
        using var ticker = new PeriodicTimer(_statusInterval);
        Task<bool>? tick = null;
        Task<bool>? pending = null;
        var inTransaction = false;
        var transaction = default(TTransaction);
        List<OutboxRow>? rows = null;
        long rowsBytes = 0;
        long rowsSeen = 0, rowsCovered = 0;

        try
        {
            while (true)
            {
                var next = changes.MoveNextAsync();
                bool more;
                if (next.IsCompleted)
                {
                    more = next.GetAwaiter().GetResult();
                }
                else
                {
                    // The log is quiet: between transactions, hand out where it stands now and then.
                    pending = next.AsTask();
                    while (true)
                    {
                        tick ??= ticker.WaitForNextTickAsync(cancellationToken).AsTask();
                        if (await Task.WhenAny(pending, tick) == pending) break;
                        await tick;
                        tick = null;
                        if (inTransaction || Stopwatch.GetElapsedTime(lastEmittedAt) < _statusInterval) continue;
                        if (IdlePosition() is { } idle && After(idle, lastEmitted))
                        {
                            lastEmitted = idle;
                            lastEmittedAt = Stopwatch.GetTimestamp();
                            yield return Empty(idle);
                        }
                    }
                    var read = pending;
                    pending = null;
                    more = await read;
                }
                if (!more) yield break;

                var change = changes.Current;
                switch (change.Kind)
                {
                    case LogChangeKind.Begin:
                        inTransaction = true;
                        transaction = change.Transaction;
                        rowsSeen = 0;
                        rowsCovered = transaction.RowsCovered(committed);
                        rows = null;
                        break;

                    case LogChangeKind.Row:
                        if (++rowsSeen <= rowsCovered) break; // published before the restart
                        // A chunk ends at MaxBatchRows rows or at the byte bound, whichever comes first, so a transaction of
                        // large rows is never held whole.
                        if (rows is not null && (rows.Count == _maxBatchRows || rowsBytes >= Batching.BatchAssembler.DefaultMaxBytes))
                        {
                            // Only now is it certain that the chunk is not the transaction's last, which must carry the complete position.
                            var partial = transaction!.Partial(rowsSeen - 1);
                            lastEmitted = partial;
                            lastEmittedAt = Stopwatch.GetTimestamp();
                            yield return new SourceBatch(rows, new SourcePosition(partial.Encode())) { CommitTime = transaction.CommitTime };
                            rows = null;
                        }
                        if (rows is null)
                        {
                            // Most transactions at a trickle carry one row: room for a few, grown as a large one needs.
                            rows = new List<OutboxRow>(Math.Min(_maxBatchRows, 4));
                            rowsBytes = 0;
                        }
                        rows.Add(change.Row!);
                        rowsBytes += change.Row!.ApproximateBytes;
                        break;

                    case LogChangeKind.Commit:
                        inTransaction = false;
                        var done = change.Transaction;
                        if (rows is { Count: > 0 })
                        {
                            var complete = done.Complete(rowsSeen);
                            var batch = new SourceBatch(rows, new SourcePosition(complete.Encode())) { CommitTime = done.CommitTime };
                            rows = null;
                            lastEmitted = complete;
                            lastEmittedAt = Stopwatch.GetTimestamp();
                            yield return batch;
                        }
                        else if (Stopwatch.GetElapsedTime(lastEmittedAt) >= _statusInterval)
                        {
                            // Busy with other tables: the position still moves on now and then.
                            var past = done.Complete(rowsSeen);
                            if (After(past, lastEmitted))
                            {
                                lastEmitted = past;
                                lastEmittedAt = Stopwatch.GetTimestamp();
                                yield return Empty(past);
                            }
                        }
                        break;
                }
            }
        }
        finally
        {
            if (pending is not null)
            {
                await reading.CancelAsync();
                try { await pending; }
                catch (Exception e) when (e is OperationCanceledException || reading.IsCancellationRequested)
                {
                    // Stopped on purpose; whatever the read ended with is of no interest now.
                }
            }
        }
    }

    private static SourceBatch Empty(TPosition position) => new([], new SourcePosition(position.Encode()));

    private static bool After(TPosition position, TPosition? than) => than is not { } other || position.CompareTo(other) > 0;

    public Task AcknowledgeAsync(SourcePosition position, CancellationToken cancellationToken)
    {
        if (!TPosition.TryParse(position.Value, out var parsed))
            throw new ArgumentException($"'{position.Value}' is not a position of this source.", nameof(position));
        // A partial transaction is not confirmed: a restart must see it again to finish it.
        if (!parsed.IsComplete) return Task.CompletedTask;
        // The pipeline acknowledges from its one publish loop, awaiting each, and Confirm does not wait, so nothing queues
        // here: the lock only keeps compare-confirm-record whole, so that the confirmation never moves back (positions
        // repeat, an idle batch carries the last one) even if two calls overlapped.
        lock (_confirming)
        {
            if (_confirmed is { } confirmed && parsed.CompareTo(confirmed) <= 0) return Task.CompletedTask;
            Confirm(parsed);
            _confirmed = parsed;
        }
        return Task.CompletedTask;
    }

    public abstract ValueTask DisposeAsync();
}
