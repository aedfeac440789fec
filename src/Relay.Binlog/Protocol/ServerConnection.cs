using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MySqlConnector;

namespace Relay.Binlog.Protocol;

/// <summary>
/// One authenticated session with a MySQL or MariaDB server: TCP (or Unix socket), optional TLS, the handshake and
/// the authentication exchange, then commands. It runs simple statements itself (COM_QUERY) and hands packets to
/// the binlog client for the replication commands. Not thread-safe.
/// </summary>
internal sealed class ServerConnection : IAsyncDisposable
{
    // utf8mb4_general_ci: known to MySQL 5.5+ and every MariaDB.
    private const byte CharacterSet = 45;
    private const uint MaxPacketSize = 1 << 30;

    private const CapabilityFlags ClientCapabilities = CapabilityFlags.LongPassword | CapabilityFlags.LongFlag |
        CapabilityFlags.Protocol41 | CapabilityFlags.Transactions | CapabilityFlags.SecureConnection |
        CapabilityFlags.MultiResults | CapabilityFlags.PluginAuth | CapabilityFlags.PluginAuthLengthEncodedClientData;

    private readonly Socket _socket;
    private readonly PacketStream _packets;
    private readonly PacketWriter _writer = new();
    private readonly ConnectionSettings _settings;
    private bool _disposed;

    private ServerConnection(Socket socket, PacketStream packets, ConnectionSettings settings)
    {
        _socket = socket;
        _packets = packets;
        _settings = settings;
    }

    public ServerFlavor Flavor { get; private set; }

    /// <summary>The server's version without MariaDB's "5.5.5-" replication prefix.</summary>
    public string ServerVersion { get; private set; } = "";

    public uint ConnectionId { get; private set; }

    public bool IsTls { get; private set; }

    /// <summary>The plugin that finished the authentication (after any AuthSwitchRequest).</summary>
    public string AuthenticationPluginName { get; private set; } = "";

    /// <summary>The capabilities both sides agreed on.</summary>
    public CapabilityFlags Capabilities { get; private set; }

    internal PacketStream Packets => _packets;

    /// <summary>Connects, negotiates TLS per SslMode and authenticates, all within ConnectTimeout.</summary>
    public static async Task<ServerConnection> OpenAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.ConnectTimeout != Timeout.InfiniteTimeSpan) deadline.CancelAfter(settings.ConnectTimeout);
        Socket? socket = null;
        ServerConnection? connection = null;
        try
        {
            socket = await ConnectSocketAsync(settings, deadline.Token);
            connection = new ServerConnection(socket, new PacketStream(new NetworkStream(socket, ownsSocket: true)), settings);
            await connection.HandshakeAsync(deadline.Token);
            connection._packets.IoTimeout = settings.ConnectTimeout;
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(connection, socket);
            throw new TimeoutException(
                $"Connecting to {settings.Endpoint} took longer than ConnectionTimeout={settings.ConnectTimeout.TotalSeconds:0} s; " +
                "check that the server is up and reachable, or raise ConnectionTimeout.");
        }
        catch (SocketException e)
        {
            await DisposeQuietlyAsync(connection, socket);
            throw new WireProtocolException($"Cannot connect to {settings.Endpoint}: {e.Message}. Check Server and Port and that the server accepts TCP connections.", e);
        }
        catch
        {
            await DisposeQuietlyAsync(connection, socket);
            throw;
        }
    }

    private static async Task<Socket> ConnectSocketAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        if (settings.IsUnixSocket)
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(settings.Host), cancellationToken);
                return unix;
            }
            catch
            {
                unix.Dispose();
                throw;
            }
        }
        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            await tcp.ConnectAsync(settings.Host, settings.Port, cancellationToken);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        var first = await _packets.ReadPacketAsync(cancellationToken);
        if (ErrPacket.Is(first.Span)) throw ErrPacket.Parse(first.Span).ToException($"from {_settings.Endpoint} before the handshake");
        var handshake = HandshakeV10.Parse(first.Span);
        Flavor = handshake.Flavor;
        ServerVersion = Flavor == ServerFlavor.MariaDb && handshake.ServerVersion.StartsWith("5.5.5-", StringComparison.Ordinal)
            ? handshake.ServerVersion["5.5.5-".Length..]
            : handshake.ServerVersion;
        ConnectionId = handshake.ConnectionId;
        if ((handshake.Capabilities & CapabilityFlags.Protocol41) == 0 || (handshake.Capabilities & CapabilityFlags.SecureConnection) == 0)
            throw new WireProtocolException($"The server {_settings.Endpoint} ({ServerVersion}) predates the 4.1 protocol; it is not supported.");

        var capabilities = ClientCapabilities & handshake.Capabilities;
        if (_settings.Database is not null) capabilities |= CapabilityFlags.ConnectWithDb & handshake.Capabilities;

        if (await NegotiateTlsAsync(handshake, capabilities, cancellationToken)) capabilities |= CapabilityFlags.Ssl;
        Capabilities = capabilities;

        var context = new AuthenticationContext
        {
            IsSecure = IsTls || _settings.IsUnixSocket,
            AllowPublicKeyRetrieval = _settings.AllowPublicKeyRetrieval,
            ServerRsaPublicKeyFile = _settings.ServerRsaPublicKeyFile,
        };
        // Answer with the server's default plugin when it works on the handshake's 20-byte scramble; otherwise with
        // native, and the server switches to the user's plugin (ed25519 always arrives that way, with a 32-byte nonce).
        AuthenticationPlugin plugin = handshake.AuthPluginName == AuthenticationPlugin.CachingSha2Password
            ? new CachingSha2PasswordPlugin()
            : new NativePasswordPlugin();
        var response = plugin.CreateResponse(_settings.Password, handshake.AuthPluginData, context);
        try
        {
            _writer.Reset();
            HandshakeResponse41.Write(_writer, capabilities, MaxPacketSize, CharacterSet, _settings.User, response, _settings.Database, plugin.Name);
            await _packets.WritePacketAsync(_writer.Payload, cancellationToken);
        }
        finally
        {
            _writer.Clear();
            CryptographicOperations.ZeroMemory(response);
        }
        await AuthenticateAsync(plugin, context, cancellationToken);
    }

    private async Task AuthenticateAsync(AuthenticationPlugin plugin, AuthenticationContext context, CancellationToken cancellationToken)
    {
        for (int round = 0; round < 16; round++)
        {
            var packet = await _packets.ReadPacketAsync(cancellationToken);
            var payload = packet.Span;
            if (payload.Length == 0) throw new WireProtocolException("The server sent an empty packet during authentication.");
            byte[]? reply;
            switch (payload[0])
            {
                case OkPacket.Header:
                    AuthenticationPluginName = plugin.Name;
                    return;
                case ErrPacket.Header:
                    throw ErrPacket.Parse(payload).ToException($"authenticating {_settings.Endpoint} with {plugin.Name}");
                case AuthSwitchRequest.Header:
                    var request = AuthSwitchRequest.Parse(payload);
                    plugin = AuthenticationPlugin.Create(request.PluginName) ?? throw AuthenticationPlugin.Unsupported(request.PluginName);
                    reply = plugin.CreateResponse(_settings.Password, request.PluginData, context);
                    break;
                case AuthMoreData.Header:
                    reply = plugin.Continue(_settings.Password, AuthMoreData.Parse(payload).Data, context);
                    break;
                default:
                    throw new WireProtocolException($"Unexpected packet 0x{payload[0]:X2} during authentication with {plugin.Name}.");
            }
            if (reply is null) continue;
            try
            {
                await _packets.WritePacketAsync(reply, cancellationToken);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(reply);
            }
        }
        throw new WireProtocolException("The authentication exchange did not end after 16 rounds; giving up.");
    }

    /// <summary>Sends SSLRequest and upgrades to TLS when SslMode and the server allow it; true if the session is now TLS.</summary>
    private async Task<bool> NegotiateTlsAsync(HandshakeV10 handshake, CapabilityFlags capabilities, CancellationToken cancellationToken)
    {
        var mode = _settings.SslMode;
        if (mode is MySqlSslMode.None or MySqlSslMode.Disabled) return false;
        if (_settings.IsUnixSocket && mode == MySqlSslMode.Preferred) return false;
        if ((handshake.Capabilities & CapabilityFlags.Ssl) == 0)
        {
            if (mode == MySqlSslMode.Preferred) return false;
            throw new AuthenticationException(
                $"SslMode={mode}, but the server {_settings.Endpoint} ({ServerVersion}) does not offer TLS. " +
                "Enable TLS on the server (ssl_cert, ssl_key) or, on a trusted network, set SslMode=Preferred or None.");
        }

        _writer.Reset();
        SslRequest.Write(_writer, capabilities, MaxPacketSize, CharacterSet);
        await _packets.WritePacketAsync(_writer.Payload, cancellationToken);

        var caCertificates = LoadCaCertificates();
        string? validationFailure = null;
        var ssl = new SslStream(_packets.Stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _settings.IsUnixSocket ? "localhost" : _settings.Host,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                validationFailure = TlsValidation.Check(mode, certificate, chain, errors, caCertificates, _settings);
                return validationFailure is null;
            },
        };
        var clientCertificate = LoadClientCertificate();
        if (clientCertificate is not null) options.ClientCertificates = new X509CertificateCollection { clientCertificate };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken);
        }
        catch (AuthenticationException e)
        {
            await ssl.DisposeAsync();
            throw new AuthenticationException(
                validationFailure is not null
                    ? $"TLS with {_settings.Endpoint} failed: {validationFailure}"
                    : $"TLS handshake with {_settings.Endpoint} failed: {e.Message}", e);
        }
        _packets.UpgradeStream(ssl);
        IsTls = true;
        return true;
    }

    private X509Certificate2Collection? LoadCaCertificates()
    {
        if (_settings.SslCa is null) return null;
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(_settings.SslCa);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"SslCa '{_settings.SslCa}' cannot be read as PEM certificates: {e.Message}", e);
        }
        if (collection.Count == 0) throw new ArgumentException($"SslCa '{_settings.SslCa}' holds no PEM certificate.");
        return collection;
    }

    private X509Certificate2? LoadClientCertificate()
    {
        if (_settings.SslCert is null) return null;
        if (_settings.SslKey is null) throw new ArgumentException("SslCert is set without SslKey; give the client certificate's private key file too.");
        try
        {
            return X509Certificate2.CreateFromPemFile(_settings.SslCert, _settings.SslKey);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"SslCert '{_settings.SslCert}' with SslKey '{_settings.SslKey}' cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>Runs a statement that returns no rows (SET, DO); a result set, if any, is read and dropped.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await SendQueryAsync(sql, cancellationToken);
        await ReadResultsAsync(sql, keepFirstRow: false, cancellationToken);
    }

    /// <summary>The first row of a query's text result set (NULL columns as null), or null when it has no rows.</summary>
    public async Task<string?[]?> QueryRowAsync(string sql, CancellationToken cancellationToken)
    {
        await SendQueryAsync(sql, cancellationToken);
        return await ReadResultsAsync(sql, keepFirstRow: true, cancellationToken);
    }

    /// <summary>Starts a command: resets the sequence and sends the payload the writer callback builds.</summary>
    public async Task SendCommandAsync<TState>(Action<PacketWriter, TState> write, TState state, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _packets.ResetSequence();
        _writer.Reset();
        write(_writer, state);
        await _packets.WritePacketAsync(_writer.Payload, cancellationToken);
    }

    /// <summary>Reads the OK answer of a command; an ERR becomes <see cref="MySqlServerException"/> naming <paramref name="what"/>.</summary>
    public async Task ReadOkAsync(string what, CancellationToken cancellationToken)
    {
        var packet = await _packets.ReadPacketAsync(cancellationToken);
        var payload = packet.Span;
        if (ErrPacket.Is(payload)) throw ErrPacket.Parse(payload).ToException(what);
        if (!OkPacket.Is(payload)) throw new WireProtocolException($"Expected OK after {what}, the server sent a 0x{(payload.Length == 0 ? 0 : payload[0]):X2} packet.");
    }

    private Task SendQueryAsync(string sql, CancellationToken cancellationToken) =>
        SendCommandAsync(static (writer, text) => ComQuery.Write(writer, text), sql, cancellationToken);

    private async Task<string?[]?> ReadResultsAsync(string sql, bool keepFirstRow, CancellationToken cancellationToken)
    {
        string?[]? firstRow = null;
        while (true)
        {
            var packet = await _packets.ReadPacketAsync(cancellationToken);
            var payload = packet.Span;
            if (ErrPacket.Is(payload)) throw ErrPacket.Parse(payload).ToException($"running \"{sql}\"");
            ushort status;
            if (OkPacket.Is(payload))
            {
                status = OkPacket.Parse(payload).StatusFlags;
            }
            else if (payload.Length > 0 && payload[0] == 0xFB)
            {
                throw new WireProtocolException($"The server asked for a local file while running \"{sql}\"; refused.");
            }
            else
            {
                var header = new SpanReader(payload, SpanErrors.WireProtocol);
                int columns = (int)header.ReadPackedInteger("the column count");
                for (int i = 0; i < columns; i++) await _packets.ReadPacketAsync(cancellationToken); // column definitions: not needed
                await ReadEofAsync(sql, cancellationToken);
                while (true)
                {
                    var rowPacket = await _packets.ReadPacketAsync(cancellationToken);
                    var row = rowPacket.Span;
                    if (EofPacket.Is(row))
                    {
                        status = EofPacket.Parse(row).StatusFlags;
                        break;
                    }
                    if (ErrPacket.Is(row)) throw ErrPacket.Parse(row).ToException($"running \"{sql}\"");
                    if (keepFirstRow && firstRow is null) firstRow = ParseTextRow(row, columns);
                }
            }
            if ((status & OkPacket.MoreResultsExist) == 0) return firstRow;
        }
    }

    private async Task ReadEofAsync(string sql, CancellationToken cancellationToken)
    {
        if ((Capabilities & CapabilityFlags.DeprecateEof) != 0) return;
        var packet = await _packets.ReadPacketAsync(cancellationToken);
        if (!EofPacket.Is(packet.Span)) throw new WireProtocolException($"Expected EOF after the column definitions of \"{sql}\".");
    }

    private static string?[] ParseTextRow(ReadOnlySpan<byte> payload, int columns)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        var values = new string?[columns];
        for (int i = 0; i < columns; i++)
            values[i] = reader.TryReadNull() ? null : Encoding.UTF8.GetString(reader.ReadPackedBytes("a column"));
        return values;
    }

    private static async Task DisposeQuietlyAsync(ServerConnection? connection, Socket? socket)
    {
        if (connection is not null) await connection.DisposeAsync();
        else socket?.Dispose();
    }

    /// <summary>Closes the socket; sends COM_QUIT first when <paramref name="polite"/> and the session is idle.</summary>
    public async ValueTask CloseAsync(bool polite)
    {
        if (_disposed) return;
        if (polite)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await SendCommandAsync(static (writer, _) => writer.WriteByte((byte)CommandCode.Quit), 0, quick.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or ObjectDisposedException or SocketException)
            {
                // The server is gone already; closing is all that is left.
            }
        }
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _packets.DisposeAsync();
        _socket.Dispose();
        _writer.Dispose();
    }

    public override string ToString() => $"{_settings.Endpoint} {Flavor} {ServerVersion} (connection {ConnectionId}{(IsTls ? ", TLS" : "")})";
}
