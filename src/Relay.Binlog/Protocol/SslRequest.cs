namespace Relay.Binlog.Protocol;

/// <summary>
/// Protocol::SSLRequest: the first 32 bytes of HandshakeResponse41 (capabilities with CLIENT_SSL, max packet size,
/// character set, 23 zero bytes). The TLS handshake follows it; the full response then goes over TLS.
/// </summary>
internal static class SslRequest
{
    public static void Write(PacketWriter writer, CapabilityFlags capabilities, uint maxPacketSize, byte characterSet)
    {
        writer.WriteUInt32((uint)(capabilities | CapabilityFlags.Ssl));
        writer.WriteUInt32(maxPacketSize);
        writer.WriteByte(characterSet);
        writer.WriteZeros(23);
    }
}
