namespace Relay.Binlog.Protocol;

/// <summary>
/// Protocol::AuthMoreData (0x01, data): a plugin's own message during authentication, wrapped so it cannot be
/// taken for OK, ERR or AuthSwitchRequest (caching_sha2_password's 0x03/0x04 and its RSA public key).
/// </summary>
internal readonly ref struct AuthMoreData
{
    public const byte Header = 0x01;

    private AuthMoreData(ReadOnlySpan<byte> data) => Data = data;

    public ReadOnlySpan<byte> Data { get; }

    public static AuthMoreData Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0 || payload[0] != Header) throw new WireProtocolException("Expected an AuthMoreData packet.");
        return new AuthMoreData(payload[1..]);
    }
}
