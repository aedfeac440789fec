using System.Numerics;
using System.Security.Cryptography;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Ed25519 signing as MariaDB's client_ed25519 plugin does it: the reference crypto_sign with the password in
/// place of the 32-byte seed (az = SHA-512(password), clamped). .NET has no Ed25519 and the packages served here
/// only take 32-byte seeds, so the group arithmetic is written out over <see cref="BigInteger"/>, in extended
/// twisted Edwards coordinates. It runs once per login: clarity over speed, and not constant-time (the secret is
/// a password the client sends to this server anyway, hashed).
/// </summary>
internal static class Ed25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger D2 = Mod(2 * D);
    private static readonly Point Base = BasePoint();

    /// <summary>The 64-byte signature R ‖ S of <paramref name="message"/> under the key derived from <paramref name="password"/>.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> password, ReadOnlySpan<byte> message)
    {
        Span<byte> az = stackalloc byte[64];
        SHA512.HashData(password, az);
        az[0] &= 248;
        az[31] &= 63;
        az[31] |= 64;
        try
        {
            var a = FromLittleEndian(az[..32]);
            var publicKey = Encode(Multiply(Base, a));

            var nonceInput = new byte[32 + message.Length];
            az[32..].CopyTo(nonceInput);
            message.CopyTo(nonceInput.AsSpan(32));
            var r = Mod(FromLittleEndian(SHA512.HashData(nonceInput)), L);
            CryptographicOperations.ZeroMemory(nonceInput);
            var rEncoded = Encode(Multiply(Base, r));

            var hramInput = new byte[64 + message.Length];
            rEncoded.CopyTo(hramInput, 0);
            publicKey.CopyTo(hramInput, 32);
            message.CopyTo(hramInput.AsSpan(64));
            var k = Mod(FromLittleEndian(SHA512.HashData(hramInput)), L);
            var s = Mod(r + k * a, L);

            var signature = new byte[64];
            rEncoded.CopyTo(signature, 0);
            ToLittleEndian(s, signature.AsSpan(32));
            return signature;
        }
        finally
        {
            az.Clear();
        }
    }

    /// <summary>The 32-byte public key A = a·B for <paramref name="password"/>: what MariaDB stores for the user.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> password)
    {
        Span<byte> az = stackalloc byte[64];
        SHA512.HashData(password, az);
        az[0] &= 248;
        az[31] &= 63;
        az[31] |= 64;
        var key = Encode(Multiply(Base, FromLittleEndian(az[..32])));
        az.Clear();
        return key;
    }

    // Extended coordinates: x = X/Z, y = Y/Z, x·y = T/Z.
    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);

    // add-2008-hwcd-3: complete for a = -1 and non-square d, so it also doubles.
    private static Point Add(Point p, Point q)
    {
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = Mod((p.Y + p.X) * (q.Y + q.X));
        var c = Mod(p.T * D2 * q.T);
        var d = Mod(2 * p.Z * q.Z);
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    private static Point Multiply(Point p, BigInteger scalar)
    {
        var result = new Point(0, 1, 1, 0);
        var addend = p;
        while (scalar > 0)
        {
            if (!scalar.IsEven) result = Add(result, addend);
            addend = Add(addend, addend);
            scalar >>= 1;
        }
        return result;
    }

    // y little-endian, with the low bit of x in the top bit.
    private static byte[] Encode(Point p)
    {
        var zInverse = Inverse(p.Z);
        var x = Mod(p.X * zInverse);
        var y = Mod(p.Y * zInverse);
        var bytes = new byte[32];
        ToLittleEndian(y, bytes);
        if (!x.IsEven) bytes[31] |= 0x80;
        return bytes;
    }

    private static Point BasePoint()
    {
        var y = Mod(4 * Inverse(5));
        var yy = y * y;
        var xx = Mod((yy - 1) * Inverse(D * yy + 1));
        var x = BigInteger.ModPow(xx, (P + 3) / 8, P);
        if (Mod(x * x - xx) != 0) x = Mod(x * BigInteger.ModPow(2, (P - 1) / 4, P));
        if (!x.IsEven) x = P - x;
        return new Point(x, y, 1, Mod(x * y));
    }

    private static BigInteger Mod(BigInteger value) => Mod(value, P);

    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        var r = BigInteger.Remainder(value, modulus);
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static void ToLittleEndian(BigInteger value, Span<byte> destination)
    {
        destination.Clear();
        if (!value.TryWriteBytes(destination, out _, isUnsigned: true, isBigEndian: false))
            throw new InvalidOperationException("An Ed25519 field element does not fit in 32 bytes.");
    }
}
