using System.Security.Cryptography;
using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>MariaDB's client_ed25519: the response is the Ed25519 signature of the server's 32-byte nonce, keyed by the password.</summary>
internal sealed class Ed25519PasswordPlugin : AuthenticationPlugin
{
    public override string Name => ClientEd25519;

    public override byte[] CreateResponse(string password, ReadOnlySpan<byte> scramble, AuthenticationContext context) =>
        Sign(password, scramble);

    public static byte[] Sign(string password, ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length < 32)
            throw new WireProtocolException($"client_ed25519 needs a 32-byte nonce; the server sent {nonce.Length} bytes.");
        var passwordBytes = Encoding.UTF8.GetBytes(password ?? "");
        try
        {
            return Ed25519.Sign(passwordBytes, nonce[..32]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}
