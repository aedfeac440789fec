using MySqlConnector;

namespace Relay.Binlog.Protocol;

/// <summary>
/// What the protocol client takes from a MySqlConnector connection string, so the binlog session and the plain SQL
/// connections of a source share one string. The password is kept here only; <see cref="ToString"/> leaves it out.
/// </summary>
internal sealed class ConnectionSettings
{
    private ConnectionSettings(string host, int port, string user, string password)
    {
        Host = host;
        Port = port;
        User = user;
        Password = password;
    }

    /// <summary>A host name or address, or the path of a Unix socket (starts with '/').</summary>
    public string Host { get; }

    public int Port { get; }

    public string User { get; }

    public string Password { get; }

    public string? Database { get; init; }

    public MySqlSslMode SslMode { get; init; } = MySqlSslMode.Preferred;

    /// <summary>PEM file of the CA (or CAs) that must have signed the server certificate (VerifyCA, VerifyFull).</summary>
    public string? SslCa { get; init; }

    public string? SslCert { get; init; }

    public string? SslKey { get; init; }

    /// <summary>Limit for connecting and each setup command; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public bool AllowPublicKeyRetrieval { get; init; }

    public string? ServerRsaPublicKeyFile { get; init; }

    public bool IsUnixSocket => Host.StartsWith('/');

    public static ConnectionSettings Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("The MySQL connection string is empty; give at least Server, User ID and Password.", nameof(connectionString));
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // MySqlConnector's messages name the key, never the value (which may be the password).
            throw new ArgumentException($"The MySQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }
        var server = builder.Server?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (server.Length == 0)
            throw new ArgumentException("The MySQL connection string has no Server; add e.g. Server=db.example.com.", nameof(connectionString));
        if (server.Length > 1)
            throw new ArgumentException("The binlog client reads from one server, but Server lists several; name the one to replicate from.", nameof(connectionString));
        if (string.IsNullOrEmpty(builder.UserID))
            throw new ArgumentException("The MySQL connection string has no User ID; add e.g. User ID=relay.", nameof(connectionString));
        string host = server[0];
        if (builder.ConnectionProtocol == MySqlConnectionProtocol.UnixSocket && !host.StartsWith('/'))
            throw new ArgumentException("Protocol=Socket needs Server to be the socket's absolute path.", nameof(connectionString));
        if (builder.ConnectionProtocol is not (MySqlConnectionProtocol.Sockets or MySqlConnectionProtocol.UnixSocket))
            throw new ArgumentException($"Protocol={builder.ConnectionProtocol} is not supported by the binlog client; use TCP or a Unix socket.", nameof(connectionString));
        if (builder.UseCompression)
            throw new ArgumentException("UseCompression is not supported by the binlog client; remove it from the connection string.", nameof(connectionString));
        return new ConnectionSettings(host, (int)builder.Port, builder.UserID, builder.Password ?? "")
        {
            Database = string.IsNullOrEmpty(builder.Database) ? null : builder.Database,
            SslMode = builder.SslMode,
            SslCa = string.IsNullOrEmpty(builder.SslCa) ? null : builder.SslCa,
            SslCert = string.IsNullOrEmpty(builder.SslCert) ? null : builder.SslCert,
            SslKey = string.IsNullOrEmpty(builder.SslKey) ? null : builder.SslKey,
            ConnectTimeout = builder.ConnectionTimeout == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(builder.ConnectionTimeout),
            AllowPublicKeyRetrieval = builder.AllowPublicKeyRetrieval,
            ServerRsaPublicKeyFile = string.IsNullOrEmpty(builder.ServerRsaPublicKeyFile) ? null : builder.ServerRsaPublicKeyFile,
        };
    }

    /// <summary>Where and as whom, for messages; never the password.</summary>
    public string Endpoint => IsUnixSocket ? $"{User}@unix:{Host}" : $"{User}@{Host}:{Port}";

    public override string ToString() => $"{Endpoint} (SslMode={SslMode})";
}
