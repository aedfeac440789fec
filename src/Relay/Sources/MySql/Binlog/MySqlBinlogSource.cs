using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Relay.Sources.LogTailing;
using Relay.Binlog.Events;
using Relay.Binlog.Gtids;
using Relay.Binlog.Protocol;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Tails the outbox table through the MySQL/MariaDB binlog, registered as a replica. The binlog parts of log
/// tailing: checking the server, choosing where the dump starts (by GTID where the server has them, by
/// file/position on the same server), decoding row events into outbox rows, and the binlog position;
/// <see cref="LogTailingSource{TPosition, TTransaction}"/> does the rest. There is nothing to confirm to the server:
/// it purges binlogs by its own retention, which is why the committed position moves on while the outbox is quiet,
/// and why a position whose binlog is gone stops the source loudly.
/// </summary>
internal sealed class MySqlBinlogSource : LogTailingSource<BinlogPosition, BinlogTransaction>
{
    private readonly MySqlBinlogOptions _options;
    private readonly IConfigurationSection _section;
    private readonly MySqlLease _lease;
    private readonly SourceProgress<BinlogPosition> _progress;
    private BinlogClient? _client;
    private BinlogEventDecoder? _decoder;
    private TableColumns? _catalogColumns;
    private BinlogCursor? _cursor;
    private BinlogPosition? _committed;
    private CatalogNamesGuard? _catalogNames;
    private StringComparer _tableNameComparer = StringComparer.Ordinal;
    private int _disposed;

    internal MySqlBinlogSource(
        string sourceName, MySqlBinlogOptions options, IConfigurationSection section, SourceProgress<BinlogPosition> progress, ILogger logger)
        : base(sourceName, MySqlBinlogSourceFactory.KindName, options.MaxBatchRows, options.StatusInterval, logger)
    {
        _options = options;
        _section = section;
        _progress = progress;
        _lease = new MySqlLease(options.ConnectionString, sourceName, options.Lease, logger);
    }

    public override Task AcquireAsync(CancellationToken cancellationToken) => _lease.AcquireAsync(cancellationToken);

    public override Task WatchLeaseAsync(Action<TimeSpan> held, CancellationToken cancellationToken) => _lease.WatchAsync(held, cancellationToken);

    protected override async Task<BinlogPosition?> OpenAsync(BinlogPosition? committed, CancellationToken cancellationToken)
    {
        var server = await BinlogServer.InspectAsync(_options, SourceName, _section, Logger, cancellationToken);
        // Even with FULL row metadata: only information_schema says a BINARY(16) is MariaDB's UUID or INET6.
        _catalogColumns = await CatalogColumnsAsync(_options.Table, cancellationToken);
        // Without FULL row metadata the catalog also names the columns, so DDL of the outbox must not pass unseen.
        _catalogNames = server.FullRowMetadata ? null : new CatalogNamesGuard(SourceName, _options.Table);
        _tableNameComparer = server.TableNameComparer;

        _committed = committed;
        BinlogStartPosition start;
        if (committed is not { } c)
        {
            // First start: what commits from now on, from exactly where the binlog stands.
            _cursor = new BinlogCursor(server.IsMariaDb, server.Identity, server.CurrentFile, server.CurrentPosition, server.CurrentGtids, null);
            start = server.FirstStart;
        }
        else
        {
            if (c.IsMariaDb != server.IsMariaDb)
                throw new RelayFatalException(
                    $"Source '{SourceName}': the committed position was read from a {(c.IsMariaDb ? "MariaDB" : "MySQL")} server and this is a " +
                    $"{(server.IsMariaDb ? "MariaDB" : "MySQL")} server; a position cannot move between them. Give the source a new name to start afresh.");
            // With XA branches undecided, reading starts at the oldest one's prepare; what was published since is skipped.
            var (file, pos, gtids) = c.ResumeFile.Length > 0 ? (c.ResumeFile, c.ResumePos, c.ResumeGtids) : (c.File, c.Pos, c.Gtids);
            _cursor = new BinlogCursor(server.IsMariaDb, server.Identity, file, pos, gtids, c);
            start = ResumeFrom(c, file, pos, gtids, server);
            RecordProgress(c);
        }

        if (_catalogNames is not null)
        {
            // The catalog was read after the binlog stood where it stands now: DDL of the outbox in between makes its names wrong for rows before it.
            var (untilFile, untilPosition) = await BinlogServer.CurrentPositionAsync(_options.ConnectionString, server.IsMariaDb, cancellationToken);
            try
            {
                await _catalogNames.ScanAsync(ClientOptions(), start, untilFile, untilPosition, cancellationToken);
            }
            catch (Exception e) when (Translate(e) is { } fatal)
            {
                throw fatal;
            }
        }
        await StartDumpAsync(start, cancellationToken);
        Logger.LogInformation(
            "Source {Source}: reading the binlog of {Flavor} server {Server} as replica {ServerId} from {Start}, resuming after {Committed}",
            SourceName, server.IsMariaDb ? "MariaDB" : "MySQL", server.Identity, _options.ServerId, Describe(start), committed?.Encode() ?? "(none)");
        return committed is null ? _cursor.Current : null;
    }

    private BinlogClientOptions ClientOptions() => new()
    {
        ConnectionString = _options.ConnectionString,
        ServerId = _options.ServerId,
        HeartbeatInterval = _options.HeartbeatInterval,
    };

    /// <summary>Opens a dump from <paramref name="start"/> with a decoder of its own, closing the one before (a group read again).</summary>
    private async Task StartDumpAsync(BinlogStartPosition start, CancellationToken cancellationToken)
    {
        await CloseDumpAsync();
        var client = await BinlogClient.ConnectAsync(ClientOptions(), cancellationToken);
        _client = client;
        // The checksum the connection negotiated governs the events before the first FORMAT_DESCRIPTION.
        var decoder = new BinlogEventDecoder(new BinlogDecoderOptions
        {
            NegotiatedChecksum = ChecksumOf(client),
            TableNameComparer = _tableNameComparer,
        });
        decoder.AddTable(_options.Table.Schema, _options.Table.Table, _catalogColumns);
        _decoder = decoder;
        try
        {
            await client.StartAsync(start, cancellationToken);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    private async Task CloseDumpAsync()
    {
        var client = _client;
        _client = null;
        _decoder?.Dispose();
        _decoder = null;
        if (client is null) return;
        try { await client.DisposeAsync(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            Logger.LogDebug(e, "Source {Source}: closing the binlog connection failed", SourceName);
        }
    }

    internal static BinlogChecksum ChecksumOf(BinlogClient client) =>
        string.Equals(client.ServerChecksum, "NONE", StringComparison.OrdinalIgnoreCase) ? BinlogChecksum.None : BinlogChecksum.Crc32;

    /// <summary>By GTID where the position has them (any server of the replication topology), else by file/position on the same server.</summary>
    private BinlogStartPosition ResumeFrom(BinlogPosition committed, string file, ulong pos, string gtids, BinlogServer server)
    {
        if (gtids.Length > 0 && (server.IsMariaDb || server.CurrentGtids.Length > 0))
            return server.IsMariaDb
                ? BinlogStartPosition.FromMariaDbGtid(gtids)
                : BinlogStartPosition.FromMySqlGtidSet(MySqlGtidSet.Parse(gtids).Encode());
        if (committed.Server != server.Identity)
            throw new RelayFatalException(
                $"Source '{SourceName}': the committed position {file}:{pos} is in the binlog of server {committed.Server}, and this is server " +
                $"{server.Identity}; without GTIDs a file/position means nothing on another server. Turn on GTIDs (MySQL: gtid_mode=ON) so a position survives a " +
                "failover, or point the source back at its server.");
        if (!server.BinlogFiles.Any(f => f.Name == file))
            throw Purged($"binlog file {file}", committed);
        return BinlogStartPosition.FromFile(file, pos);
    }

    /// <summary>
    /// Reads event groups to their end before handing out anything of them, since only the end says what became of their
    /// rows: an XID or COMMIT commits them; a ROLLBACK (a group that also changed a non-transactional table) drops them,
    /// and a ROLLBACK TO inside drops those since its savepoint; an XA_PREPARE holds them until the branch's XA COMMIT,
    /// whose group publishes them (in its place in the log, with its GTID), or its XA ROLLBACK. Rows are held up to
    /// MaxBatchRows or the batch byte bound per group (undecided XA branches share the byte bound); a larger group is
    /// read to its end without its rows, then read again from its start by a new dump, its rows streamed as they come.
    /// Every group ends with a commit handed out (without rows when it published none), which carries the position on.
    /// </summary>
    protected override async IAsyncEnumerable<LogChange<BinlogTransaction>> ReadLogAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = _cursor ?? throw new InvalidOperationException("OpenAsync must run first.");
        var maxRows = _options.MaxBatchRows;
        var maxBytes = Batching.BatchAssembler.DefaultMaxBytes;
        BinlogGroup? group = null;
        Replay? replay = null;       // a group read again from its start, its outcome known
        var replaying = false;       // the current group is the one read again: its rows go out as they come
        BinlogTable? lastTable = null;
        OutboxColumns? columns = null;

        while (true)
        {
            var client = _client!;
            var decoder = _decoder!;
            if (!await NextAsync(client, cancellationToken))
                throw new IOException(
                    $"Source '{SourceName}': the server ended the binlog dump without an error (the dump thread was killed with KILL QUERY, the server is " +
                    $"shutting down, or another replica registered with server id {_options.ServerId}); reconnecting from the committed position.");
            decoder.Feed(client.Event);
            var reconnect = (BinlogStartPosition?)null;
            while (reconnect is null && Read(decoder, out var e))
            {
                var header = e.Header;
                if (_catalogNames is not null && e is QueryEvent ddl && _catalogNames.IsOutboxDdl(ddl))
                    throw _catalogNames.Altered(ddl, cursor.File, header.StartPosition, beforeStart: false);
                group?.NextEvent();
                switch (e)
                {
                    case IncidentEvent incident:
                        throw Incident(incident, cursor);
                    case RotateEvent rotate:
                        cursor.File = rotate.NextFileName;
                        cursor.Position = rotate.Position;
                        if (group is null && replay is null) cursor.Settle();
                        continue;
                    case MariaDbGtidEvent gtid:
                        // MariaDB writes no BEGIN: its GTID event opens the transaction.
                        group = new BinlogGroup(Begin(cursor, header, gtid.Gtid, null, DateTimeOffset.FromUnixTimeSeconds(header.Timestamp)),
                            gtid.IsStandalone, explicitBegin: !gtid.IsStandalone);
                        Advance(cursor, e);
                        replaying = IsReplayed(replay, group);
                        if (replaying) yield return LogChange<BinlogTransaction>.Begin(replay!.Decision ?? group.Transaction);
                        continue;
                    case GtidEvent gtid:
                        var committedAt = gtid.ImmediateCommitTimestamp is { } micros
                            ? DateTimeOffset.UnixEpoch.AddTicks((long)micros * 10)
                            : DateTimeOffset.FromUnixTimeSeconds(header.Timestamp);
                        group = new BinlogGroup(Begin(cursor, header, null, gtid.IsAnonymous ? null : gtid.Gtid, committedAt), standalone: false, explicitBegin: false);
                        Advance(cursor, e);
                        replaying = IsReplayed(replay, group);
                        if (replaying) yield return LogChange<BinlogTransaction>.Begin(replay!.Decision ?? group.Transaction);
                        continue;
                    case QueryEvent { IsBegin: true }:
                        Advance(cursor, e);
                        if (group is not null)
                        {
                            group.ExplicitBegin = true;
                            continue;
                        }
                        // A server that writes no GTID events at all: the BEGIN opens the transaction.
                        group = new BinlogGroup(Begin(cursor, header, null, null, DateTimeOffset.FromUnixTimeSeconds(header.Timestamp)), standalone: false, explicitBegin: true);
                        replaying = IsReplayed(replay, group);
                        if (replaying) yield return LogChange<BinlogTransaction>.Begin(replay!.Decision ?? group.Transaction);
                        continue;
                    case WriteRowsEvent { Table: { } table } rows when group is not null:
                        if (!rows.HasEveryColumn) throw PartialRowImage(rows, cursor);
                        if (replaying ? !BinlogGroup.IsUndone(replay!.Undone, group.Event) : !group.Spilled)
                        {
                            if (!ReferenceEquals(table, lastTable))
                            {
                                columns = ColumnsOf(table, columns);
                                lastTable = table;
                            }
                            while (ReadRow(rows, out var values))
                            {
                                var row = new OutboxRow(columns!, values);
                                if (replaying) yield return LogChange<BinlogTransaction>.Insert(row);
                                else group.Add(row, maxRows, maxBytes);
                            }
                        }
                        Advance(cursor, e);
                        continue;
                    case HeartbeatEvent heartbeat when group is null:
                        if (heartbeat.LogFileName.Length > 0) cursor.File = heartbeat.LogFileName;
                        if (heartbeat.LogPosition > cursor.Position || heartbeat.LogFileName.Length > 0) cursor.Position = heartbeat.LogPosition;
                        if (replay is null) cursor.Settle();
                        continue;
                    case XidEvent or XaPrepareEvent or QueryEvent when group is not null:
                        break;
                    default:
                        Advance(cursor, e);
                        if (group is null && replay is null) cursor.Settle();
                        continue;
                }

                // An event that may end the group, or a statement inside it.
                Advance(cursor, e);
                var outcome = Outcome(e, group, out var xid);
                if (outcome == GroupOutcome.Open) continue;
                var ended = group;
                group = null;

                if (replaying)
                {
                    replaying = false;
                    var done = replay!;
                    replay = null;
                    var expected = done.Branch is null ? GroupOutcome.Committed : GroupOutcome.Prepared;
                    if (outcome != expected)
                        throw new IOException($"Source '{SourceName}': reading the group at {done.File}:{done.Start} again, it ended as {outcome}, not {expected} as before.");
                    if (done.Decision is { } decision)
                    {
                        // The branch's rows went out as its XA COMMIT's transaction; reading goes on after that decision.
                        cursor.Decided(done.Branch!.Xid);
                        cursor.File = done.ResumeFile;
                        cursor.Position = done.ResumePosition;
                        cursor.Executed(decision);
                        yield return LogChange<BinlogTransaction>.Commit(decision);
                        reconnect = BinlogStartPosition.FromFile(done.ResumeFile, done.ResumePosition);
                        continue;
                    }
                    cursor.Executed(ended.Transaction);
                    yield return LogChange<BinlogTransaction>.Commit(ended.Transaction);
                    continue;
                }

                var transaction = ended.Transaction;
                switch (outcome)
                {
                    case GroupOutcome.Committed when ended.Spilled && transaction.RowsCovered(cursor.Committed) != long.MaxValue:
                        replay = new Replay(transaction.StartFile, transaction.StartPosition, ended.Undone, null, null, "", 0);
                        reconnect = BinlogStartPosition.FromFile(transaction.StartFile, transaction.StartPosition);
                        Logger.LogDebug("Source {Source}: the transaction at {File}:{Position} is larger than what is held; reading it again to publish it",
                            SourceName, transaction.StartFile, transaction.StartPosition);
                        continue;
                    case GroupOutcome.Committed:
                        foreach (var change in Publish(cursor, transaction, ended.Spilled ? [] : ended.Rows, null)) yield return change;
                        continue;
                    case GroupOutcome.Prepared:
                        // The branch's outcome comes later; a restart reads from its start until then.
                        var keep = !ended.Spilled && cursor.PendingBytes + ended.Bytes <= maxBytes;
                        cursor.Prepared(new PreparedBranch(xid!, transaction.StartFile, transaction.StartPosition, cursor.Gtids,
                            keep ? ended.Rows : null, keep ? ended.Bytes : 0, ended.Undone));
                        foreach (var change in Publish(cursor, transaction, [], null)) yield return change;
                        continue;
                    case GroupOutcome.XaCommitted:
                        var branch = cursor.FindPending(xid!);
                        var covered = transaction.RowsCovered(cursor.Committed) == long.MaxValue;
                        if (branch is null && !covered)
                        {
                            Logger.LogWarning(
                                "Source {Source}: XA COMMIT {Xid} at {File}:{Position} decides a branch prepared before this source's first position; its outbox rows are not published",
                                SourceName, xid, transaction.StartFile, transaction.StartPosition);
                        }
                        if (branch is null || covered)
                        {
                            foreach (var change in Publish(cursor, transaction, [], xid)) yield return change;
                            continue;
                        }
                        if (branch.Rows is { } held)
                        {
                            foreach (var change in Publish(cursor, transaction, held, xid)) yield return change;
                            continue;
                        }
                        replay = new Replay(branch.StartFile, branch.StartPosition, branch.Undone, branch, transaction, cursor.File, cursor.Position);
                        reconnect = BinlogStartPosition.FromFile(branch.StartFile, branch.StartPosition);
                        continue;
                    default: // rolled back, or XA ROLLBACK: nothing to publish
                        foreach (var change in Publish(cursor, transaction, [], outcome == GroupOutcome.XaRolledBack ? xid : null)) yield return change;
                        continue;
                }
            }
            if (reconnect is { } from)
            {
                lastTable = null;
                await StartDumpAsync(from, cancellationToken);
            }
        }
    }

    /// <summary>A group that ended: its begin, its rows, then (the branch decided, the GTID executed) its commit.</summary>
    private static IEnumerable<LogChange<BinlogTransaction>> Publish(BinlogCursor cursor, BinlogTransaction transaction, IReadOnlyList<OutboxRow> rows, string? decidedXid)
    {
        yield return LogChange<BinlogTransaction>.Begin(transaction);
        foreach (var row in rows) yield return LogChange<BinlogTransaction>.Insert(row);
        if (decidedXid is not null) cursor.Decided(decidedXid);
        cursor.Executed(transaction);
        yield return LogChange<BinlogTransaction>.Commit(transaction);
    }

    private static bool IsReplayed(Replay? replay, BinlogGroup group)
    {
        if (replay is null) return false;
        var transaction = group.Transaction;
        if (transaction.StartFile == replay.File && transaction.StartPosition == replay.Start) return true;
        throw new IOException($"Reading the group at {replay.File}:{replay.Start} again, the dump sent the group at {transaction.StartFile}:{transaction.StartPosition} first.");
    }

    /// <summary>What an event does to the group: ends it (and how), or not; savepoints are noted on the way.</summary>
    private static GroupOutcome Outcome(BinlogEvent e, BinlogGroup group, out string? xid)
    {
        xid = null;
        switch (e)
        {
            case XidEvent:
                return GroupOutcome.Committed;
            case XaPrepareEvent prepare:
                // MySQL logs XA COMMIT … ONE PHASE as a prepare that commits at once.
                xid = prepare.Xid;
                return prepare.OnePhase ? GroupOutcome.Committed : GroupOutcome.Prepared;
            case QueryEvent { IsCommit: true }:
                return GroupOutcome.Committed;
            case QueryEvent { IsRollback: true }:
                return GroupOutcome.RolledBack;
            case QueryEvent query:
                var statement = query.Statement;
                if (BinlogStatement.TryParseXaDecision(statement, out var commit, out var decided))
                {
                    xid = decided;
                    return commit ? GroupOutcome.XaCommitted : GroupOutcome.XaRolledBack;
                }
                if (BinlogStatement.TryParseSavepoint(statement, out var name)) group.Savepoint(name);
                else if (BinlogStatement.TryParseRollbackTo(statement, out name)) group.RollbackTo(name);
                else if (BinlogStatement.IsXaStart(statement)) group.ExplicitBegin = true;
                else if (group.Standalone || !group.ExplicitBegin) return GroupOutcome.Committed; // a statement outside BEGIN (DDL) is a group of its own
                return GroupOutcome.Open;
            default:
                return GroupOutcome.Open;
        }
    }

    private enum GroupOutcome
    {
        Open,
        Committed,
        RolledBack,
        Prepared,
        XaCommitted,
        XaRolledBack,
    }

    /// <summary>
    /// A group read again from its start (<see cref="File"/>:<see cref="Start"/>): a committed transaction too large to
    /// hold, or the prepare of an XA branch too large to hold, published as its <see cref="Decision"/>; reading then goes
    /// on after the decision (<see cref="ResumeFile"/>:<see cref="ResumePosition"/>).
    /// </summary>
    private sealed record Replay(
        string File, ulong Start, IReadOnlyList<(int From, int To)> Undone, PreparedBranch? Branch, BinlogTransaction? Decision, string ResumeFile, ulong ResumePosition);

    private static BinlogTransaction Begin(BinlogCursor cursor, BinlogEventHeader header, MariaDbGtid? mariaDb, MySqlGtid? mySql, DateTimeOffset committedAt)
    {
        // Where the GTID event starts: the position a restart inside this transaction reads it again from.
        var start = header.StartPosition >= 4 ? (ulong)header.StartPosition : cursor.Position;
        return new BinlogTransaction(cursor, mariaDb, mySql, cursor.File, start, committedAt);
    }

    /// <summary>
    /// The position after an event the server logged. Events inside a TRANSACTION_PAYLOAD, the FORMAT_DESCRIPTION a
    /// dump repeats from the file's start, and artificial events do not move it.
    /// </summary>
    private static void Advance(BinlogCursor cursor, BinlogEvent e)
    {
        var header = e.Header;
        if (e.InPayload || header.LogPosition == 0 || e is FormatDescriptionEvent || (header.Flags & BinlogEventFlags.Artificial) != 0) return;
        cursor.Position = header.LogPosition;
    }

    /// <summary>The outbox columns of a TABLE_MAP's table, the same instance while its names stay the same.</summary>
    private OutboxColumns ColumnsOf(BinlogTable table, OutboxColumns? previous)
    {
        var names = table.Columns.Names;
        if (Array.IndexOf(names, null) >= 0)
            throw new RelayFatalException(
                $"Source '{SourceName}': the binlog does not name the columns of {table.Schema}.{table.Name}. Set binlog_row_metadata = FULL on the server " +
                "(MySQL 8.0.1+, MariaDB 10.5+), and restart the source.");
        if (previous is not null && previous.Count == names.Length && previous.Names.SequenceEqual(names!)) return previous;
        return new OutboxColumns(names!);
    }

    protected override BinlogPosition? IdlePosition() => _cursor?.Idle();

    /// <summary>
    /// Nothing to confirm to the server: a replica tells it nothing about what it applied, and it purges by its own retention.
    /// The position is recorded for the lag probe instead, which measures the binlog from there.
    /// </summary>
    protected override void Confirm(BinlogPosition position) => RecordProgress(position);

    private void RecordProgress(BinlogPosition committed)
    {
        if (_lease.Session is { } session) _progress.Record(SourceName, committed, session);
    }

    private async ValueTask<bool> NextAsync(BinlogClient client, CancellationToken cancellationToken)
    {
        try
        {
            return await client.ReadEventAsync(cancellationToken);
        }
        catch (BinlogServerIdConflictException e)
        {
            // Replicas of one source share the server id by design and only the lease holder dumps: when this relay no
            // longer holds the lease, the server dropped this dump for the replica that took over, not for a misconfiguration.
            if (!await _lease.IsStillHeldAsync(cancellationToken))
            {
                throw new SourceLeaseLostException(
                    $"Source '{SourceName}': the server ended this relay's binlog dump for another reader with server id {_options.ServerId}, and this relay " +
                    "no longer holds the source's lease: another replica took over; standing by.", e);
            }
            throw Translate(e)!;
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// What retrying cannot fix, as a fatal error naming the fix; a server id another replica took over, as an error naming
    /// the key that the pipeline retries (the other one may be gone, and the dump must not end silently); null for the rest.
    /// </summary>
    private Exception? Translate(Exception e) => e switch
    {
        BinlogServerIdConflictException =>
            new IOException(
                $"Source '{SourceName}': another replica or binlog reader uses server id {_options.ServerId}, and the server drops one of two with the same id. " +
                "This relay still holds the source's lease, so the other reader is not a replica of this source (those share the id and stand by): " +
                $"set {ConfigKeys.Describe(_section, "ServerId")} to a number unique among the server, its replicas and every other relay source or binlog tool.", e),
        MySqlServerException { ErrorCode: 1236 } server when IsPurged(server.ServerMessage) =>
            Purged(_committed is { } c && c.Gtids.Length > 0 ? $"GTIDs after {c.Gtids}" : $"binlog file {_committed?.File}", _committed, e),
        MySqlServerException { ErrorCode: 1236 } server =>
            new RelayFatalException(
                $"Source '{SourceName}': the server refuses to send its binlog from the committed position {_committed?.Encode() ?? "(none)"}: {server.ServerMessage} " +
                "If the server was restored from a backup or replaced, the position is no longer valid there; give the source a new name to start afresh.", e),
        MySqlServerException { ErrorCode: 1045 or 1227 } server =>
            new RelayFatalException(
                $"Source '{SourceName}': the server refuses the binlog dump ({server.ServerMessage}). The user needs REPLICATION SLAVE and " +
                $"{(_cursor?.IsMariaDb == true ? "BINLOG MONITOR" : "REPLICATION CLIENT")}: GRANT REPLICATION SLAVE, " +
                $"{(_cursor?.IsMariaDb == true ? "BINLOG MONITOR" : "REPLICATION CLIENT")} ON *.* TO <user>;", e),
        _ => null,
    };

    /// <summary>An event Relay cannot decode (a type or charset it does not know, a damaged event) fails the same way on every retry.</summary>
    private bool Read(BinlogEventDecoder decoder, [NotNullWhen(true)] out BinlogEvent? binlogEvent)
    {
        try
        {
            return decoder.TryRead(out binlogEvent);
        }
        catch (BinlogTableChangedException changed) when (_catalogNames is not null)
        {
            throw _catalogNames.Changed(changed);
        }
        catch (BinlogFormatException e)
        {
            throw Undecodable(e);
        }
    }

    private bool ReadRow(WriteRowsEvent rows, [NotNullWhen(true)] out object?[]? values)
    {
        try
        {
            return rows.TryReadRow(out values);
        }
        catch (BinlogFormatException e)
        {
            throw Undecodable(e);
        }
    }

    private RelayFatalException Undecodable(BinlogFormatException e) => new(
        $"Source '{SourceName}' cannot decode the binlog: {e.Message.TrimEnd('.')}. Retrying would read the same event again. Remedy: change what the " +
        "outbox table holds to types and character sets Relay reads (utf8mb4, latin1, ascii, binary, the UTF-16/32 family; MySQL and MariaDB's " +
        "column types), or, if the event is damaged, move the source past it (Relay offsets reset) after publishing its rows another way.", e);

    /// <summary>A replica stops on an INCIDENT: the log may lack changes from here, so going on could lose outbox rows unnoticed.</summary>
    private RelayFatalException Incident(IncidentEvent incident, BinlogCursor cursor)
    {
        var after = cursor.Current with { Pos = (ulong)incident.Header.LogPosition };
        return new RelayFatalException(
            $"Source '{SourceName}': the server logged an INCIDENT ({incident.IncidentName}{(incident.Message.Length > 0 ? $": {incident.Message}" : "")}) " +
            $"at {cursor.File}:{incident.Header.StartPosition}: changes made around then may be missing from its binlog, so outbox rows committed then " +
            "may never appear in it. A replica stops here too. Remedy: publish the outbox rows committed around that time that are missing downstream " +
            $"(a MySqlPolling source over the outbox can), then move this source past the incident: Relay offsets reset --source {SourceName} --to '{after.Encode()}'.");
    }

    /// <summary>A session with binlog_row_image=MINIMAL or NOBLOB logs only the columns its INSERT set: the rest would be published as NULL.</summary>
    private RelayFatalException PartialRowImage(WriteRowsEvent rows, BinlogCursor cursor)
    {
        var table = rows.Table!;
        var missing = rows.MissingColumns().Select(i => table.Columns.Names[i] is { } name ? name : $"#{i}");
        return new RelayFatalException(
            $"Source '{SourceName}': the row inserted into {table.Schema}.{table.Name} at {cursor.File}:{rows.Header.StartPosition} was logged without " +
            $"the columns {string.Join(", ", missing)}, so they would be published as NULL. The writing session runs with binlog_row_image " +
            "MINIMAL or NOBLOB (a session may set it though the server's is FULL). Remedy: have the application write the outbox with " +
            "binlog_row_image = FULL (remove SET SESSION binlog_row_image, and keep the server's global FULL), then publish the rows logged since " +
            $"with a MySqlPolling source and move this source past them (Relay offsets reset --source {SourceName}).");
    }

    private static bool IsPurged(string message) =>
        message.Contains("Could not find first log file name", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("Could not find GTID state", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("purged", StringComparison.OrdinalIgnoreCase);

    private RelayFatalException Purged(string what, BinlogPosition? committed, Exception? inner = null) => new(
        $"Source '{SourceName}': the {what} that Relay needs to resume from its committed position {committed?.Encode() ?? "(none)"} is no longer on the " +
        "server (purged by its binlog retention while Relay was stopped), so outbox rows committed since may be lost to log tailing. Remedy: publish the " +
        "outbox rows still in the table with a MySqlPolling source, then reset this source's position to the server's current one " +
        "(Relay offsets reset) — and keep binlogs longer than any outage (binlog_expire_logs_seconds on MySQL, expire_logs_days on MariaDB).", inner);

    private async Task<TableColumns?> CatalogColumnsAsync(MySqlTableName table, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(_options.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await InformationSchemaColumns.LoadAsync(connection, table.Schema, table.Table, cancellationToken);
    }

    private static string Describe(BinlogStartPosition start) => start.Kind switch
    {
        BinlogStartKind.File => $"{start.FileName}:{start.Position}",
        BinlogStartKind.MariaDbGtid => $"GTID position {start.MariaDbGtidPosition}",
        _ => "the GTID set",
    };

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await CloseDumpAsync();
        await _lease.DisposeAsync();
    }
}
