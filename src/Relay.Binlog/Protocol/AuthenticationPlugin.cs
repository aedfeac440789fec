using System.Security.Authentication;

namespace Relay.Binlog.Protocol;

/// <summary>
/// One client authentication plugin for one login: it answers the scramble and, for multi-step plugins, the
/// server's AuthMoreData messages. A new instance per exchange, since multi-step plugins keep state.
/// </summary>
internal abstract class AuthenticationPlugin
{
    public const string NativePassword = "mysql_native_password";
    public const string CachingSha2Password = "caching_sha2_password";
    public const string ClientEd25519 = "client_ed25519";

    public abstract string Name { get; }

    /// <summary>The response to the scramble sent in the handshake or an AuthSwitchRequest.</summary>
    public abstract byte[] CreateResponse(string password, ReadOnlySpan<byte> scramble, AuthenticationContext context);

    /// <summary>The reply to an AuthMoreData payload, or null when the client only waits for the server's next packet.</summary>
    public virtual byte[]? Continue(string password, ReadOnlySpan<byte> data, AuthenticationContext context) =>
        throw new WireProtocolException($"The server sent more authentication data to '{Name}', which expects none.");

    /// <summary>The plugin for a name the server asked for; null for plugins this client does not implement.</summary>
    public static AuthenticationPlugin? Create(string name) => name switch
    {
        NativePassword => new NativePasswordPlugin(),
        CachingSha2Password => new CachingSha2PasswordPlugin(),
        ClientEd25519 => new Ed25519PasswordPlugin(),
        _ => null,
    };

    public static AuthenticationException Unsupported(string name) => new(
        $"The server asks for the authentication plugin '{name}', which this client does not implement " +
        $"(it implements {NativePassword}, {CachingSha2Password} and MariaDB's ed25519). " +
        "Give the user one of those, e.g. ALTER USER ... IDENTIFIED VIA ed25519 USING PASSWORD('...').");
}
