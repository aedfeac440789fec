using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using Relay.Sources.LogTailing;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Tails the outbox table through a pgoutput logical replication slot. The Postgres parts of log tailing:
/// the slot and publication, decoding pgoutput into outbox rows, the WAL position, and confirming the slot
/// (its flush LSN) once the sink committed; <see cref="LogTailingSource{TPosition, TTransaction}"/> does the rest.
/// </summary>
internal sealed class PostgresReplicationSource : LogTailingSource<WalPosition, PgTransaction>
{
    private readonly PostgresReplicationOptions _options;
    private readonly IConfigurationSection _section;
    private readonly PostgresLease _lease;
    private LogicalReplicationConnection? _connection;
    private IAsyncEnumerator<PgOutputReplicationMessage>? _messages;
    private int _disposed;
    private string _role = "(unknown)";

    internal PostgresReplicationSource(string sourceName, PostgresReplicationOptions options, IConfigurationSection section, ILogger logger)
        : base(sourceName, PostgresReplicationSourceFactory.KindName, options.MaxBatchRows, options.StatusInterval, logger)
    {
        _options = options;
        _section = section;
        _lease = new PostgresLease(options.ConnectionString, sourceName, options.Lease, logger);
    }

    public override Task AcquireAsync(CancellationToken cancellationToken) => _lease.AcquireAsync(cancellationToken);

    public override Task WatchLeaseAsync(Action<TimeSpan> held, CancellationToken cancellationToken) => _lease.WatchAsync(held, cancellationToken);

    protected override async Task<WalPosition?> OpenAsync(WalPosition? committed, CancellationToken cancellationToken)
    {
        var (confirmed, role) = await ReplicationSetup.EnsureAsync(_options, SourceName, _section, committed, Logger, cancellationToken);
        _role = role;
        var connection = await OpenReplicationAsync(cancellationToken);
        Logger.LogInformation(
            "Source {Source}: streaming slot {Slot} (confirmed up to {Confirmed}) of publication {Publication}, resuming after {Committed}",
            SourceName, _options.Slot, confirmed, _options.Publication, committed?.Encode() ?? "(none)");
        _messages = connection
            .StartReplication(new PgOutputReplicationSlot(_options.Slot), new PgOutputReplicationOptions(_options.Publication, PgOutputProtocolVersion.V1), cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        // The slot itself holds where a first start begins: nothing to commit up front.
        return null;
    }

    protected override async IAsyncEnumerable<LogChange<PgTransaction>> ReadLogAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var messages = _messages ?? throw new InvalidOperationException("OpenAsync must run first.");
        var reader = new OutboxRowReader(_options.Table);
        var begin = default(PgTransaction);
        while (await NextAsync(messages))
        {
            switch (messages.Current)
            {
                case BeginMessage message:
                    begin = new PgTransaction(message.TransactionFinalLsn, default, new DateTimeOffset(message.TransactionCommitTimestamp, TimeSpan.Zero));
                    yield return LogChange<PgTransaction>.Begin(begin);
                    break;
                case RelationMessage relation:
                    reader.Update(relation);
                    break;
                case InsertMessage insert when reader.IsOutbox(insert):
                    yield return LogChange<PgTransaction>.Insert(await reader.ReadAsync(insert, cancellationToken));
                    break;
                case CommitMessage commit:
                    yield return LogChange<PgTransaction>.Commit(begin with { CommitLsn = commit.CommitLsn, EndLsn = commit.TransactionEndLsn });
                    break;
                // Updates, deletes, truncates, types and origins carry no outbox rows.
            }
        }
    }

    /// <summary>
    /// The connection's last received LSN, moved on by keepalives over WAL without outbox rows (other tables,
    /// other databases). Between transactions nothing before it is still to come: the server sends a
    /// transaction when it decodes its commit record, before it reports having read past that record.
    /// </summary>
    protected override WalPosition? IdlePosition() =>
        _connection is { LastReceivedLsn: var lsn } && (ulong)lsn > 0 ? WalPosition.Idle(lsn) : null;

    /// <summary>
    /// Sets the flush LSN that Npgsql's next status update carries (at most a second away, see
    /// <see cref="StatusUpdateInterval"/>) instead of sending one per acknowledgement: at a trickle every transaction is
    /// acknowledged, and a status update each time cost a write on the replication connection, contending with its
    /// reader, and a wake-up of the walsender, for a slot that only needs to follow within seconds (a restart resumes
    /// from the sink's committed position, not from the slot's).
    /// </summary>
    protected override void Confirm(WalPosition position) => _connection?.SetReplicationStatus(position.EndLsn);

    /// <summary>How often Npgsql sends the status update: the status interval, but at least every second, so the slot follows the acknowledgements.</summary>
    private TimeSpan StatusUpdateInterval => _options.StatusInterval < TimeSpan.FromSeconds(1) ? _options.StatusInterval : TimeSpan.FromSeconds(1);

    private async ValueTask<bool> NextAsync(IAsyncEnumerator<PgOutputReplicationMessage> messages)
    {
        try
        {
            return await messages.MoveNextAsync();
        }
        catch (PostgresException e) when (ReplicationSetup.IsPermissionError(e))
        {
            throw ReplicationSetup.MissingReplicationRight(SourceName, _role, e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedObject && e.MessageText.Contains("publication", StringComparison.OrdinalIgnoreCase))
        {
            throw new RelayFatalException(
                $"Source '{SourceName}': publication {_options.Publication} was dropped while the slot streamed ({e.MessageText}). " +
                $"Re-create it, or set {ConfigKeys.Describe(_section, "Publication")} to another one; the slot cannot skip the WAL written without it.", e);
        }
    }

    private async Task<LogicalReplicationConnection> OpenReplicationAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString) { ApplicationName = $"relay:{SourceName}" };
        // pgoutput prints values with the walsender's settings: fix those that shape dates and instants.
        builder.Options = $"{builder.Options} {PostgresText.SessionOptions}".Trim();
        // A walsender of a relay cut off from the server holds the slot until the server gives up on it: as soon as the lease's.
        builder.Options = $"{builder.Options} {_options.Lease.PostgresSessionOptions}";
        builder.TcpKeepAlive = true;
        var connection = new LogicalReplicationConnection(builder.ConnectionString)
        {
            // Npgsql's own status updates carry the flush LSN we set (see Confirm); they also keep the walsender from timing out.
            WalReceiverStatusInterval = StatusUpdateInterval,
        };
        _connection = connection;
        try
        {
            await connection.Open(cancellationToken);
        }
        catch (PostgresException e) when (ReplicationSetup.IsPermissionError(e))
        {
            throw ReplicationSetup.MissingReplicationRight(SourceName, _role, e);
        }
        return connection;
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_connection is not null)
        {
            try { await _connection.DisposeAsync(); }
            catch (Exception e) when (e is NpgsqlException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                Logger.LogDebug(e, "Source {Source}: closing the replication connection failed", SourceName);
            }
        }
        await _lease.DisposeAsync();
    }
}
