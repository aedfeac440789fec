using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Tails the outbox table through a pgoutput logical replication slot: one batch per committed transaction
/// that inserted outbox rows, in commit order, split into chunks of at most MaxBatchRows rows. The slot is
/// confirmed only up to what the sink acknowledged, and, while the outbox is idle, up to the WAL the server
/// has streamed past, so that a busy database does not pile up WAL behind a quiet outbox.
/// </summary>
public sealed class PostgresReplicationSource : IOutboxSource
{
    private readonly string _sourceName;
    private readonly PostgresReplicationOptions _options;
    private readonly IConfigurationSection _section;
    private readonly ILogger _logger;
    private readonly PostgresLease _lease;
    private readonly CancellationTokenSource _stopping = new();
    private LogicalReplicationConnection? _connection;
    private SlotProgress? _progress;
    private Func<NpgsqlLogSequenceNumber>? _lastReceived;
    private Task? _idleLoop;
    private int _reading;
    private int _disposed;
    private string _role = "(unknown)";

    internal PostgresReplicationSource(string sourceName, PostgresReplicationOptions options, IConfigurationSection section, ILogger logger)
    {
        _sourceName = sourceName;
        _options = options;
        _section = section;
        _logger = logger;
        _lease = new PostgresLease(options.ConnectionString, sourceName, logger);
    }

    /// <summary>The slot's confirmed LSN as this source last handed it to the server (for diagnostics and tests).</summary>
    internal NpgsqlLogSequenceNumber? Confirmed => _progress?.Confirmed;

    public Task AcquireAsync(CancellationToken cancellationToken) => _lease.AcquireAsync(cancellationToken);

    public IAsyncEnumerable<SourceBatch> ReadAsync(SourcePosition? committed, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
            throw new InvalidOperationException("A replication source streams once; create a new one to start over.");
        WalPosition? from = null;
        if (committed is { } position)
        {
            if (!WalPosition.TryParse(position.Value, out var parsed))
            {
                throw new RelayFatalException(
                    $"Source '{_sourceName}': the sink's committed position '{position.Value}' was not written by a PostgresReplication source. " +
                    "If this source changed its kind, give it a new name (or a new sink stream), so that it starts without a foreign position.");
            }
            from = parsed;
        }
        return StreamAsync(from, cancellationToken);
    }

    private async IAsyncEnumerable<SourceBatch> StreamAsync(WalPosition? committed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (confirmed, role) = await ReplicationSetup.EnsureAsync(_options, _sourceName, _section, cancellationToken);
        _role = role;
        var connection = await OpenReplicationAsync(cancellationToken);
        _progress = new SlotProgress(confirmed, connection.SetReplicationStatus);
        _lastReceived = () => connection.LastReceivedLsn;

        _logger.LogInformation(
            "Source {Source}: streaming slot {Slot} (confirmed up to {Confirmed}) of publication {Publication}, resuming after {Committed}",
            _sourceName, _options.Slot, confirmed, _options.Publication, committed?.Encode() ?? "(none)");

        var messages = connection
            .StartReplication(new PgOutputReplicationSlot(_options.Slot), new PgOutputReplicationOptions(_options.Publication, PgOutputProtocolVersion.V1), cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        await using var _ = messages;
        _idleLoop = AdvanceWhileIdleAsync(_stopping.Token);

        var reader = new OutboxRowReader(_options.Table);
        var maxRows = _options.MaxBatchRows;
        List<OutboxRow>? rows = null;
        var commitLsn = default(NpgsqlLogSequenceNumber);
        var commitTime = default(DateTimeOffset);
        long rowsSeen = 0, skipRows = 0;

        while (await NextAsync(messages))
        {
            switch (messages.Current)
            {
            case BeginMessage begin:
                _progress.BeginTransaction();
                commitLsn = begin.TransactionFinalLsn;
                commitTime = new DateTimeOffset(begin.TransactionCommitTimestamp, TimeSpan.Zero);
                rowsSeen = 0;
                skipRows = RowsToSkip(committed, commitLsn);
                rows = null;
                break;

            case RelationMessage relation:
                reader.Update(relation);
                break;

            case InsertMessage insert when reader.IsOutbox(insert):
                if (++rowsSeen <= skipRows) break; // published before the restart
                var row = await reader.ReadAsync(insert, cancellationToken);
                if (rows is not null && rows.Count == maxRows)
                {
                    // Only now is it certain that the chunk is not the transaction's last, which must carry the complete position.
                    var partial = new WalPosition(commitLsn, default, rowsSeen - 1, Complete: false);
                    _progress.Emitted(partial);
                    yield return new SourceBatch(rows, partial.ToSourcePosition()) { CommitTime = commitTime };
                    rows = null;
                }
                (rows ??= new List<OutboxRow>(Math.Min(maxRows, 64))).Add(row);
                break;

            case CommitMessage commit:
                WalPosition? emitted = rows is { Count: > 0 }
                    ? new WalPosition(commit.CommitLsn, commit.TransactionEndLsn, rowsSeen, Complete: true)
                    : null;
                _progress.EndTransaction(emitted);
                if (emitted is { } complete)
                {
                    var batch = new SourceBatch(rows!, complete.ToSourcePosition()) { CommitTime = commitTime };
                    rows = null;
                    yield return batch;
                }
                break;

            // Updates, deletes, truncates, types and origins carry no outbox rows.
            }
        }
    }

    /// <summary>
    /// How many outbox rows of the transaction committing at <paramref name="commitLsn"/> the sink already has:
    /// all of an earlier transaction, the published part of the committed one, none of a later one. The server
    /// resumes at the slot's confirmed LSN, which may lie before the committed position (an acknowledgement
    /// lost in a crash) and then replays transactions the sink already has.
    /// </summary>
    internal static long RowsToSkip(WalPosition? committed, NpgsqlLogSequenceNumber commitLsn)
    {
        if (committed is not { } c) return 0;
        var order = ((ulong)commitLsn).CompareTo((ulong)c.CommitLsn);
        if (order < 0) return long.MaxValue;
        if (order > 0) return 0;
        return c.Complete ? long.MaxValue : c.RowsDone;
    }

    private async ValueTask<bool> NextAsync(IAsyncEnumerator<PgOutputReplicationMessage> messages)
    {
        try
        {
            return await messages.MoveNextAsync();
        }
        catch (PostgresException e) when (ReplicationSetup.IsPermissionError(e))
        {
            throw ReplicationSetup.MissingReplicationRight(_sourceName, _role, e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedObject && e.MessageText.Contains("publication", StringComparison.OrdinalIgnoreCase))
        {
            throw new RelayFatalException(
                $"Source '{_sourceName}': publication {_options.Publication} was dropped while the slot streamed ({e.MessageText}). " +
                $"Re-create it, or set {ConfigKeys.Describe(_section, "Publication")} to another one; the slot cannot skip the WAL written without it.", e);
        }
    }

    private async Task<LogicalReplicationConnection> OpenReplicationAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString) { ApplicationName = $"relay:{_sourceName}" };
        var connection = new LogicalReplicationConnection(builder.ConnectionString)
        {
            // Npgsql's own status updates carry the flush LSN we set; they also keep the walsender from timing out.
            WalReceiverStatusInterval = _options.StatusInterval,
        };
        _connection = connection;
        try
        {
            await connection.Open(cancellationToken);
        }
        catch (PostgresException e) when (ReplicationSetup.IsPermissionError(e))
        {
            throw ReplicationSetup.MissingReplicationRight(_sourceName, _role, e);
        }
        return connection;
    }

    /// <summary>
    /// Moves the slot over WAL that has no outbox rows (other tables, other databases) while nothing is pending:
    /// without it the slot holds that WAL forever behind a quiet outbox. Keepalives advance LastReceivedLsn.
    /// </summary>
    private async Task AdvanceWhileIdleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.StatusInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_progress!.TryAdvanceIdle(_lastReceived!)) await SendStatusAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The read loop fails on its own when the connection breaks; this only stops idle advancement.
            _logger.LogWarning(e, "Source {Source}: idle slot advancement stopped", _sourceName);
        }
    }

    public async Task AcknowledgeAsync(SourcePosition position, CancellationToken cancellationToken)
    {
        if (!WalPosition.TryParse(position.Value, out var wal))
            throw new ArgumentException($"'{position.Value}' is not a position of this source.", nameof(position));
        if (_progress is null) return;
        if (_progress.Acknowledge(wal)) await SendStatusAsync(cancellationToken);
    }

    private async Task SendStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _connection!.SendStatusUpdate(cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // Not streaming (any more): the next start resumes from the sink's committed position anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        if (_idleLoop is not null) await _idleLoop;
        if (_connection is not null)
        {
            try { await _connection.DisposeAsync(); }
            catch (Exception e) when (e is NpgsqlException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                _logger.LogDebug(e, "Source {Source}: closing the replication connection failed", _sourceName);
            }
        }
        await _lease.DisposeAsync();
        _stopping.Dispose();
    }
}
