namespace Relay.Binlog.Protocol;

/// <summary>What an authentication plugin may need to know about the connection besides the password.</summary>
internal sealed class AuthenticationContext
{
    /// <summary>TLS or a Unix socket: a password may travel in clear text.</summary>
    public required bool IsSecure { get; init; }

    /// <summary>Connection string AllowPublicKeyRetrieval: take the RSA key the server sends (open to a man in the middle).</summary>
    public bool AllowPublicKeyRetrieval { get; init; }

    /// <summary>Connection string ServerRSAPublicKeyFile: a PEM file with the server's RSA public key.</summary>
    public string? ServerRsaPublicKeyFile { get; init; }
}
