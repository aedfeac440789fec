using System.Globalization;

namespace Relay.Binlog.Protocol;

/// <summary>
/// A replication session with a MySQL or MariaDB server that hands out raw binlog events.
/// <code>
/// await using var client = await BinlogClient.ConnectAsync(options, ct);
/// await client.StartAsync(BinlogStartPosition.FromFile("mysql-bin.000042", 4), ct);
/// while (await client.ReadEventAsync(ct)) Decode(client.Event.Span); // header + body + checksum, valid until the next read
/// </code>
/// Errors: <see cref="MySqlServerException"/> for an ERR packet (1236 when the binlog cannot be sent: purged file,
/// unknown GTID), <see cref="BinlogServerIdConflictException"/> when another replica took this server id,
/// <see cref="TimeoutException"/> when the server sends nothing (not even a heartbeat) for the read timeout,
/// <see cref="IOException"/> (including <see cref="WireProtocolException"/>) when the connection drops or breaks the
/// protocol, <see cref="System.Security.Authentication.AuthenticationException"/> when TLS or the login cannot be
/// set up as configured, <see cref="ArgumentException"/> for a bad connection string or option. After any of them,
/// dispose the client; reconnecting is the caller's decision.
/// </summary>
public sealed class BinlogClient : IAsyncDisposable
{
    /// <summary>MariaDB's ER_SLAVE_SAME_ID.</summary>
    private const int SlaveSameIdError = 4052;

    /// <summary>ER_SPECIFIC_ACCESS_DENIED_ERROR: MySQL's answer to a missing privilege.</summary>
    private const int SpecificAccessDenied = 1227;

    private readonly ServerConnection _connection;
    private readonly BinlogClientOptions _options;
    private State _state = State.Connected;

    private BinlogClient(ServerConnection connection, BinlogClientOptions options, string? checksum)
    {
        _connection = connection;
        _options = options;
        ServerChecksum = checksum;
    }

    private enum State
    {
        Connected,
        Dumping,
        Ended,
        Failed,
    }

    public ServerFlavor Flavor => _connection.Flavor;

    /// <summary>E.g. "10.11.19-MariaDB-0+deb12u1-log" or "8.0.36".</summary>
    public string ServerVersion => _connection.ServerVersion;

    /// <summary>@@global.binlog_checksum when the session started ("CRC32" or "NONE"); the stream's own FORMAT_DESCRIPTION event is authoritative.</summary>
    public string? ServerChecksum { get; }

    public bool IsTls => _connection.IsTls;

    /// <summary>The current event: 19-byte v4 header, body and checksum (if any); valid until the next read.</summary>
    public ReadOnlyMemory<byte> Event { get; private set; }

    /// <summary>Connects, authenticates and prepares the session for a dump (checksum, heartbeat, MariaDB capability).</summary>
    public static async Task<BinlogClient> ConnectAsync(BinlogClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var settings = ConnectionSettings.Parse(options.ConnectionString);
        var connection = await ServerConnection.OpenAsync(settings, cancellationToken);
        try
        {
            var row = await connection.QueryRowAsync("SELECT @@global.binlog_checksum", cancellationToken);
            string? checksum = row?[0];
            // Without this the server refuses to stream checksummed events (MariaDB: error 1236 after a fake ROTATE).
            await connection.ExecuteAsync(connection.Flavor == ServerFlavor.MySql
                ? "SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum"
                : "SET @master_binlog_checksum = @@global.binlog_checksum", cancellationToken);
            if (options.HeartbeatInterval > TimeSpan.Zero)
            {
                string nanoseconds = ((ulong)options.HeartbeatInterval.Ticks * 100).ToString(CultureInfo.InvariantCulture);
                await connection.ExecuteAsync(connection.Flavor == ServerFlavor.MySql
                    ? $"SET @master_heartbeat_period = {nanoseconds}, @source_heartbeat_period = {nanoseconds}"
                    : $"SET @master_heartbeat_period = {nanoseconds}", cancellationToken);
            }
            if (connection.Flavor == ServerFlavor.MariaDb)
            {
                // MARIA_SLAVE_CAPABILITY_GTID: without it MariaDB rewrites its GTID events into BEGIN queries for old replicas.
                await connection.ExecuteAsync("SET @mariadb_slave_capability = 4", cancellationToken);
            }
            return new BinlogClient(connection, options, checksum);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The first row of a query on the replication session, before the dump (e.g. SELECT BINLOG_GTID_POS(file, pos));
    /// NULL columns as null, null when no row.
    /// </summary>
    public Task<string?[]?> QueryRowAsync(string sql, CancellationToken cancellationToken)
    {
        if (_state != State.Connected) throw new InvalidOperationException("Queries run before StartAsync; the dumping session accepts no commands.");
        return _connection.QueryRowAsync(sql, cancellationToken);
    }

    /// <summary>Registers as a replica and asks for the binlog from <paramref name="start"/>; then read events.</summary>
    public async Task StartAsync(BinlogStartPosition start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (_state != State.Connected) throw new InvalidOperationException("A binlog client dumps once; connect a new client to start over.");
        _state = State.Failed;
        switch (start.Kind)
        {
            case BinlogStartKind.MariaDbGtid when Flavor != ServerFlavor.MariaDb:
                throw new InvalidOperationException($"A MariaDB GTID position ({start.MariaDbGtidPosition}) cannot start a dump on {ServerVersion}; MySQL needs a MySQL GTID set or a file position.");
            case BinlogStartKind.MySqlGtidSet when Flavor != ServerFlavor.MySql:
                throw new InvalidOperationException($"A MySQL GTID set cannot start a dump on {ServerVersion}; MariaDB needs a MariaDB GTID position or a file position.");
            case BinlogStartKind.File when start.Position > uint.MaxValue && Flavor == ServerFlavor.MariaDb:
                throw new ArgumentException($"Position {start.Position} does not fit COM_BINLOG_DUMP (4 bytes); MariaDB binlog files are smaller than 4 GB.", nameof(start));
        }

        if (start.Kind == BinlogStartKind.MariaDbGtid)
        {
            await _connection.ExecuteAsync($"SET @slave_connect_state = '{start.MariaDbGtidPosition}'", cancellationToken);
            if (_options.GtidStrictMode is { } strict)
                await _connection.ExecuteAsync($"SET @slave_gtid_strict_mode = {(strict ? 1 : 0)}", cancellationToken);
        }

        await _connection.SendCommandAsync(static (writer, options) =>
            ComRegisterSlave.Write(writer, options.ServerId, options.ReportHost, "", "", 0), _options, cancellationToken);
        try
        {
            await _connection.ReadOkAsync($"registering as replica {_options.ServerId}", cancellationToken);
        }
        catch (MySqlServerException e) when (e.ErrorCode is MySqlServerException.AccessDenied or SpecificAccessDenied)
        {
            // MariaDB answers a missing privilege here with a bare "Access denied for user"; name the privilege.
            throw new MySqlServerException(e.ErrorCode, e.SqlState, e.ServerMessage,
                $"registering as replica {_options.ServerId}; the user needs the REPLICATION SLAVE privilege (GRANT REPLICATION SLAVE ON *.* TO ...)");
        }

        ushort flags = _options.NonBlocking ? ComBinlogDump.NonBlock : (ushort)0;
        if (start.Kind == BinlogStartKind.MySqlGtidSet || (start.Kind == BinlogStartKind.File && start.Position > uint.MaxValue))
        {
            var gtids = start.Kind == BinlogStartKind.MySqlGtidSet ? start.MySqlGtidSet : EmptyMySqlGtidSet;
            ushort gtidFlags = (ushort)(flags | ComBinlogDumpGtid.ThroughGtid | (start.Kind == BinlogStartKind.File ? ComBinlogDumpGtid.ThroughPosition : 0));
            await _connection.SendCommandAsync(static (writer, s) =>
                ComBinlogDumpGtid.Write(writer, s.flags, s.serverId, s.start.FileName, s.start.Position, s.gtids.Span),
                (flags: gtidFlags, serverId: _options.ServerId, start, gtids), cancellationToken);
        }
        else
        {
            if (_options.SendAnnotateRows && Flavor == ServerFlavor.MariaDb) flags |= ComBinlogDump.SendAnnotateRows;
            await _connection.SendCommandAsync(static (writer, s) =>
                ComBinlogDump.Write(writer, (uint)s.start.Position, s.flags, s.serverId, s.start.FileName),
                (flags, serverId: _options.ServerId, start), cancellationToken);
        }

        var packets = _connection.Packets;
        packets.IoTimeout = _options.EffectiveReadTimeout;
        packets.TimeoutHint = _options.HeartbeatInterval > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"Heartbeats were due every {_options.HeartbeatInterval.TotalSeconds:0.###} s while the binlog is idle, so the server or the network is stalled; reconnect.")
            : "The server or the network is stalled; reconnect.";
        _state = State.Dumping;
    }

    // n_sids = 0: an empty executed set, for a file position beyond 4 GB (MySQL only).
    private static readonly ReadOnlyMemory<byte> EmptyMySqlGtidSet = new byte[8];

    /// <summary>
    /// Reads the next event into <see cref="Event"/>: true when there is one, false when a non-blocking dump reached
    /// the end of the binlog. Server errors, silence and a lost connection throw (see the class summary).
    /// </summary>
    public ValueTask<bool> ReadEventAsync(CancellationToken cancellationToken)
    {
        if (_state != State.Dumping)
        {
            return _state == State.Ended
                ? ValueTask.FromResult(false)
                : throw new InvalidOperationException(_state == State.Connected ? "Call StartAsync before reading events." : "The binlog stream failed; connect a new client.");
        }
        ValueTask<ReadOnlyMemory<byte>> read;
        try
        {
            read = _connection.Packets.ReadPacketAsync(cancellationToken);
        }
        catch
        {
            _state = State.Failed;
            throw;
        }
        return read.IsCompletedSuccessfully ? ValueTask.FromResult(Accept(read.Result)) : AwaitEventAsync(read);
    }

    private async ValueTask<bool> AwaitEventAsync(ValueTask<ReadOnlyMemory<byte>> read)
    {
        ReadOnlyMemory<byte> packet;
        try
        {
            packet = await read;
        }
        catch
        {
            _state = State.Failed;
            throw;
        }
        return Accept(packet);
    }

    private bool Accept(ReadOnlyMemory<byte> packet)
    {
        var payload = packet.Span;
        if (payload.Length > 0)
        {
            switch (payload[0])
            {
                case OkPacket.Header when payload.Length >= 20:
                    Event = packet[1..];
                    return true;
                case ErrPacket.Header:
                    _state = State.Failed;
                    Event = default;
                    throw ToDumpException(ErrPacket.Parse(payload));
                case EofPacket.Header when payload.Length < 9:
                    _state = State.Ended;
                    Event = default;
                    return false;
            }
        }
        _state = State.Failed;
        throw new WireProtocolException(
            $"Unexpected {payload.Length}-byte packet in the binlog stream (first byte 0x{(payload.Length == 0 ? 0 : payload[0]):X2}); an event packet is 0x00 and at least 20 bytes.");
    }

    private MySqlServerException ToDumpException(ErrPacket error)
    {
        // MariaDB: 4052 ER_SLAVE_SAME_ID "A slave with the same server_uuid/server_id is already connected";
        // MySQL: 1236 "A slave with the same server_uuid/server_id as this slave has connected to the master".
        if (error.ErrorCode == SlaveSameIdError || error.Message.Contains("same server_uuid/server_id", StringComparison.OrdinalIgnoreCase))
            return new BinlogServerIdConflictException(error.ErrorCode, error.SqlState, error.Message, _options.ServerId);
        return error.ToException("reading the binlog");
    }

    public async ValueTask DisposeAsync()
    {
        Event = default;
        // A dumping server does not read commands, so COM_QUIT is only sent to an idle session.
        await _connection.CloseAsync(polite: _state == State.Connected);
    }

    public override string ToString() => $"binlog client (server id {_options.ServerId}) of {_connection}";
}
