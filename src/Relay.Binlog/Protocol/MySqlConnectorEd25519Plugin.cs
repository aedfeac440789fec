using System.Security.Cryptography;
using System.Text;
using MySqlConnector.Authentication;

namespace Relay.Binlog.Protocol;

/// <summary>client_ed25519 for MySqlConnector. The password hash it reports is the Ed25519 public key, as MariaDB's client computes it.</summary>
internal sealed class MySqlConnectorEd25519Plugin : IAuthenticationPlugin3
{
    public string Name => AuthenticationPlugin.ClientEd25519;

    public byte[] CreateResponse(string password, ReadOnlySpan<byte> authenticationData) =>
        Ed25519PasswordPlugin.Sign(password, authenticationData);

    public void CreateResponseAndPasswordHash(string password, ReadOnlySpan<byte> authenticationData, out byte[] authenticationResponse, out byte[] passwordHash)
    {
        authenticationResponse = Ed25519PasswordPlugin.Sign(password, authenticationData);
        var passwordBytes = Encoding.UTF8.GetBytes(password ?? "");
        passwordHash = Ed25519.PublicKey(passwordBytes);
        CryptographicOperations.ZeroMemory(passwordBytes);
    }
}
