using System.Security.Cryptography;
using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>mysql_native_password: SHA1(password) XOR SHA1(scramble ‖ SHA1(SHA1(password))); empty for no password.</summary>
internal sealed class NativePasswordPlugin : AuthenticationPlugin
{
    public override string Name => NativePassword;

    public override byte[] CreateResponse(string password, ReadOnlySpan<byte> scramble, AuthenticationContext context) =>
        Scramble(password, scramble);

    public static byte[] Scramble(string password, ReadOnlySpan<byte> scramble)
    {
        if (string.IsNullOrEmpty(password)) return [];
        if (scramble.Length < 20) throw new WireProtocolException($"mysql_native_password needs a 20-byte scramble; the server sent {scramble.Length} bytes.");
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        Span<byte> stage1 = stackalloc byte[20];
        Span<byte> input = stackalloc byte[40];
        Span<byte> mask = stackalloc byte[20];
        try
        {
            SHA1.HashData(passwordBytes, stage1);
            scramble[..20].CopyTo(input);
            SHA1.HashData(stage1, input[20..]);
            SHA1.HashData(input, mask);
            var result = new byte[20];
            for (int i = 0; i < 20; i++) result[i] = (byte)(stage1[i] ^ mask[i]);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            stage1.Clear();
            input.Clear();
        }
    }
}
