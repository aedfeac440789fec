using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// caching_sha2_password (MySQL 8's default). Fast path: XOR(SHA256(password), SHA256(SHA256(SHA256(password)) ‖ nonce)),
/// where the outer SHA256 hashes the double hash followed by the nonce (two hashes of the password, not three);
/// the server answers AuthMoreData 0x03 (cached: OK follows) or 0x04 (full authentication). Full authentication
/// sends the password and a NUL in clear text over TLS or a Unix socket; otherwise RSA-OAEP (SHA-1) encrypts
/// (password ‖ NUL) XOR the nonce with the server's public key, read from ServerRSAPublicKeyFile or, when
/// AllowPublicKeyRetrieval is set, requested from the server with 0x02. The stored password is never changed.
/// </summary>
internal sealed class CachingSha2PasswordPlugin : AuthenticationPlugin
{
    public const byte FastAuthSuccess = 0x03;
    public const byte PerformFullAuthentication = 0x04;
    public const byte RequestPublicKey = 0x02;

    private byte[] _nonce = [];
    private bool _awaitingKey;

    public override string Name => CachingSha2Password;

    public override byte[] CreateResponse(string password, ReadOnlySpan<byte> scramble, AuthenticationContext context)
    {
        _nonce = scramble.ToArray();
        _awaitingKey = false;
        return Scramble(password, scramble);
    }

    public override byte[]? Continue(string password, ReadOnlySpan<byte> data, AuthenticationContext context)
    {
        if (_awaitingKey)
        {
            _awaitingKey = false;
            return Encrypt(password, _nonce, Encoding.ASCII.GetString(data), "the server's reply to the public key request");
        }
        if (data.Length != 1)
            throw new WireProtocolException($"caching_sha2_password: expected the fast-authentication result (1 byte), the server sent {data.Length} bytes.");
        switch (data[0])
        {
            case FastAuthSuccess:
                return null;
            case PerformFullAuthentication when context.IsSecure:
                return CleartextPassword(password);
            case PerformFullAuthentication when !string.IsNullOrEmpty(context.ServerRsaPublicKeyFile):
                string pem;
                try
                {
                    pem = File.ReadAllText(context.ServerRsaPublicKeyFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new AuthenticationException($"ServerRSAPublicKeyFile '{context.ServerRsaPublicKeyFile}' cannot be read: {e.Message}", e);
                }
                return Encrypt(password, _nonce, pem, $"ServerRSAPublicKeyFile '{context.ServerRsaPublicKeyFile}'");
            case PerformFullAuthentication when context.AllowPublicKeyRetrieval:
                _awaitingKey = true;
                return [RequestPublicKey];
            case PerformFullAuthentication:
                throw new AuthenticationException(
                    "caching_sha2_password needs the full password because the server has no cached hash for this user, " +
                    "and the connection is not encrypted. Use TLS (SslMode=Required or stricter), give the server's RSA public key " +
                    "with ServerRSAPublicKeyFile=<pem file>, or set AllowPublicKeyRetrieval=true to trust the key the server sends.");
            default:
                throw new WireProtocolException($"caching_sha2_password: unknown fast-authentication result 0x{data[0]:X2}.");
        }
    }

    public static byte[] Scramble(string password, ReadOnlySpan<byte> nonce)
    {
        if (string.IsNullOrEmpty(password)) return [];
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        // sha2_password's generate_sha2_scramble: stage1 = SHA256(password), stage2 = SHA256(stage1) (what the server
        // caches), mask = SHA256(stage2 ‖ nonce), scramble = stage1 XOR mask. The server recovers stage1 with the mask
        // and checks SHA256(stage1) against its cached stage2, so one hash more or less fails every fast login.
        Span<byte> stage1 = stackalloc byte[32];
        Span<byte> input = stackalloc byte[32 + nonce.Length];
        Span<byte> mask = stackalloc byte[32];
        try
        {
            SHA256.HashData(passwordBytes, stage1);
            SHA256.HashData(stage1, input[..32]);
            nonce.CopyTo(input[32..]);
            SHA256.HashData(input, mask);
            var result = new byte[32];
            for (int i = 0; i < 32; i++) result[i] = (byte)(stage1[i] ^ mask[i]);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            stage1.Clear();
            input.Clear();
        }
    }

    private static byte[] CleartextPassword(string password)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(password) + 1];
        Encoding.UTF8.GetBytes(password, bytes);
        return bytes;
    }

    public static byte[] Encrypt(string password, ReadOnlySpan<byte> nonce, string publicKeyPem, string keySource)
    {
        if (nonce.Length == 0) throw new WireProtocolException("caching_sha2_password: no nonce to combine with the password.");
        var plain = CleartextPassword(password);
        try
        {
            for (int i = 0; i < plain.Length; i++) plain[i] ^= nonce[i % nonce.Length];
            using var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(publicKeyPem);
            }
            catch (ArgumentException e)
            {
                throw new AuthenticationException($"caching_sha2_password: {keySource} is not a PEM RSA public key.", e);
            }
            return rsa.Encrypt(plain, RSAEncryptionPadding.OaepSHA1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}
