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
    private BinlogCursor? _cursor;
    private BinlogPosition? _committed;
    private int _disposed;

    internal MySqlBinlogSource(
        string sourceName, MySqlBinlogOptions options, IConfigurationSection section, SourceProgress<BinlogPosition> progress, ILogger logger)
        : base(sourceName, MySqlBinlogSourceFactory.KindName, options.MaxBatchRows, options.StatusInterval, logger)
    {
        _options = options;
        _section = section;
        _progress = progress;
        _lease = new MySqlLease(options.ConnectionString, sourceName, logger);
    }

    public override Task AcquireAsync(CancellationToken cancellationToken) => _lease.AcquireAsync(cancellationToken);

    protected override async Task<BinlogPosition?> OpenAsync(BinlogPosition? committed, CancellationToken cancellationToken)
    {
        var server = await BinlogServer.InspectAsync(_options, SourceName, _section, Logger, cancellationToken);
        var table = _options.Table;
        // Even with FULL row metadata: only information_schema says a BINARY(16) is MariaDB's UUID or INET6.
        var catalogColumns = await CatalogColumnsAsync(table, cancellationToken);

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
            _cursor = new BinlogCursor(server.IsMariaDb, server.Identity, c.File, c.Pos, c.Gtids, c);
            start = ResumeFrom(c, server);
            RecordProgress(c);
        }

        var client = await BinlogClient.ConnectAsync(new BinlogClientOptions
        {
            ConnectionString = _options.ConnectionString,
            ServerId = _options.ServerId,
            HeartbeatInterval = _options.HeartbeatInterval,
        }, cancellationToken);
        _client = client;
        // The checksum the connection negotiated governs the events before the first FORMAT_DESCRIPTION.
        var decoder = new BinlogEventDecoder(new BinlogDecoderOptions
        {
            NegotiatedChecksum = string.Equals(client.ServerChecksum, "NONE", StringComparison.OrdinalIgnoreCase) ? BinlogChecksum.None : BinlogChecksum.Crc32,
        });
        decoder.AddTable(table.Schema, table.Table, catalogColumns);
        _decoder = decoder;
        try
        {
            await client.StartAsync(start, cancellationToken);
        }
        catch (Exception e) when (Translate(e) is { } fatal)
        {
            throw fatal;
        }
        Logger.LogInformation(
            "Source {Source}: reading the binlog of {Flavor} server {Server} as replica {ServerId} from {Start}, resuming after {Committed}",
            SourceName, server.IsMariaDb ? "MariaDB" : "MySQL", server.Identity, _options.ServerId, Describe(start), committed?.Encode() ?? "(none)");
        return committed is null ? _cursor.Current : null;
    }

    /// <summary>By GTID where the position has them (any server of the replication topology), else by file/position on the same server.</summary>
    private BinlogStartPosition ResumeFrom(BinlogPosition committed, BinlogServer server)
    {
        if (committed.Gtids.Length > 0 && (server.IsMariaDb || server.CurrentGtids.Length > 0))
            return server.IsMariaDb
                ? BinlogStartPosition.FromMariaDbGtid(committed.Gtids)
                : BinlogStartPosition.FromMySqlGtidSet(MySqlGtidSet.Parse(committed.Gtids).Encode());
        if (committed.Server != server.Identity)
            throw new RelayFatalException(
                $"Source '{SourceName}': the committed position {committed.File}:{committed.Pos} is in the binlog of server {committed.Server}, and this is server " +
                $"{server.Identity}; without GTIDs a file/position means nothing on another server. Turn on GTIDs (MySQL: gtid_mode=ON) so a position survives a " +
                "failover, or point the source back at its server.");
        if (!server.BinlogFiles.Any(f => f.Name == committed.File))
            throw Purged($"binlog file {committed.File}", committed);
        return BinlogStartPosition.FromFile(committed.File, committed.Pos);
    }

    protected override async IAsyncEnumerable<LogChange<BinlogTransaction>> ReadLogAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("OpenAsync must run first.");
        var decoder = _decoder!;
        var cursor = _cursor!;
        BinlogTransaction? transaction = null;
        var standalone = false; // the transaction is one statement (DDL), which ends it
        var explicitBegin = false;
        BinlogTable? lastTable = null;
        OutboxColumns? columns = null;

        while (await NextAsync(client, cancellationToken))
        {
            decoder.Feed(client.Event);
            while (Read(decoder, out var e))
            {
                var header = e.Header;
                switch (e)
                {
                    case IncidentEvent incident:
                        throw Incident(incident, cursor);
                    case RotateEvent rotate:
                        cursor.File = rotate.NextFileName;
                        cursor.Position = rotate.Position;
                        continue;
                    case MariaDbGtidEvent gtid:
                        transaction = Begin(cursor, header, gtid.Gtid, null, DateTimeOffset.FromUnixTimeSeconds(header.Timestamp));
                        standalone = gtid.IsStandalone;
                        explicitBegin = !gtid.IsStandalone; // MariaDB writes no BEGIN: its GTID event opens the transaction

                        Advance(cursor, e);
                        yield return LogChange<BinlogTransaction>.Begin(transaction.Value);
                        continue;
                    case GtidEvent gtid:
                        var committedAt = gtid.ImmediateCommitTimestamp is { } micros
                            ? DateTimeOffset.UnixEpoch.AddTicks((long)micros * 10)
                            : DateTimeOffset.FromUnixTimeSeconds(header.Timestamp);
                        transaction = Begin(cursor, header, null, gtid.IsAnonymous ? null : gtid.Gtid, committedAt);
                        standalone = false;
                        explicitBegin = false;
                        Advance(cursor, e);
                        yield return LogChange<BinlogTransaction>.Begin(transaction.Value);
                        continue;
                    case QueryEvent { IsBegin: true }:
                        Advance(cursor, e);
                        explicitBegin = true;
                        if (transaction is null)
                        {
                            // A server that writes no GTID events at all: the BEGIN opens the transaction.
                            transaction = Begin(cursor, header, null, null, DateTimeOffset.FromUnixTimeSeconds(header.Timestamp));
                            yield return LogChange<BinlogTransaction>.Begin(transaction.Value);
                        }
                        continue;
                    case WriteRowsEvent { Table: { } table } rows when transaction is not null:
                        if (!ReferenceEquals(table, lastTable))
                        {
                            columns = ColumnsOf(table, columns);
                            lastTable = table;
                        }
                        if (!rows.HasEveryColumn) throw PartialRowImage(rows, cursor);
                        while (ReadRow(rows, out var values))
                            yield return LogChange<BinlogTransaction>.Insert(new OutboxRow(columns!, values));
                        Advance(cursor, e);
                        continue;
                    case XidEvent when transaction is not null:
                    case QueryEvent { IsCommit: true } when transaction is not null:
                    case QueryEvent { IsRollback: true } when transaction is not null:
                    case QueryEvent when transaction is not null && (standalone || !explicitBegin):
                        // XID or COMMIT ends a transaction; a statement outside BEGIN (DDL) is a transaction of its own.
                        Advance(cursor, e);
                        cursor.Executed(transaction.Value);
                        var done = transaction.Value;
                        transaction = null;
                        yield return LogChange<BinlogTransaction>.Commit(done);
                        continue;
                    case HeartbeatEvent heartbeat when transaction is null:
                        if (heartbeat.LogFileName.Length > 0) cursor.File = heartbeat.LogFileName;
                        if (heartbeat.LogPosition > cursor.Position || heartbeat.LogFileName.Length > 0) cursor.Position = heartbeat.LogPosition;
                        continue;
                    default:
                        Advance(cursor, e);
                        continue;
                }
            }
        }
    }

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

    protected override BinlogPosition? IdlePosition() => _cursor?.Current;

    /// <summary>
    /// Nothing to confirm to the server: a replica tells it nothing about what it applied, and it purges by its own retention.
    /// The position is recorded for the lag probe instead, which measures the binlog from there.
    /// </summary>
    protected override ValueTask ConfirmAsync(BinlogPosition position, CancellationToken cancellationToken)
    {
        RecordProgress(position);
        return ValueTask.CompletedTask;
    }

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
        catch (Exception e) when (Translate(e) is { } fatal)
        {
            throw fatal;
        }
    }

    /// <summary>What retrying cannot fix, as a fatal error naming the fix; null for the rest (a reconnect may help).</summary>
    private RelayFatalException? Translate(Exception e) => e switch
    {
        BinlogServerIdConflictException =>
            new RelayFatalException(
                $"Source '{SourceName}': another replica or binlog reader uses server id {_options.ServerId}, and the server drops one of two with the same id. " +
                $"Set {ConfigKeys.Describe(_section, "ServerId")} to a number unique among the server, its replicas and every other relay source.", e),
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
        if (_client is not null)
        {
            try { await _client.DisposeAsync(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                Logger.LogDebug(e, "Source {Source}: closing the binlog connection failed", SourceName);
            }
        }
        _decoder?.Dispose();
        await _lease.DisposeAsync();
    }
}
