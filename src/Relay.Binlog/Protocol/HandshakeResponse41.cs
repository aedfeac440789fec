namespace Relay.Binlog.Protocol;

/// <summary>
/// Protocol::HandshakeResponse41: the client's capabilities, user name, first authentication response, optional
/// default database and the plugin that computed the response.
/// </summary>
internal static class HandshakeResponse41
{
    public static void Write(PacketWriter writer, CapabilityFlags capabilities, uint maxPacketSize, byte characterSet,
        string user, ReadOnlySpan<byte> authResponse, string? database, string authPluginName)
    {
        writer.WriteUInt32((uint)capabilities);
        writer.WriteUInt32(maxPacketSize);
        writer.WriteByte(characterSet);
        writer.WriteZeros(23);
        writer.WriteNullTerminatedString(user);
        if ((capabilities & CapabilityFlags.PluginAuthLengthEncodedClientData) != 0)
        {
            writer.WriteLengthEncodedBytes(authResponse);
        }
        else
        {
            if (authResponse.Length > 255)
                throw new WireProtocolException("The server does not accept authentication responses over 255 bytes (no CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA).");
            writer.WriteByte((byte)authResponse.Length);
            writer.WriteBytes(authResponse);
        }
        if ((capabilities & CapabilityFlags.ConnectWithDb) != 0) writer.WriteNullTerminatedString(database ?? "");
        if ((capabilities & CapabilityFlags.PluginAuth) != 0) writer.WriteNullTerminatedString(authPluginName);
    }
}
