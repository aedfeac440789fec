using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// The server's first packet (Protocol::HandshakeV10): version, connection id, capabilities, the scramble
/// (auth-plugin-data, 20 bytes on current servers) and the default authentication plugin.
/// </summary>
internal sealed class HandshakeV10
{
    private HandshakeV10(string serverVersion, uint connectionId, CapabilityFlags capabilities, byte characterSet,
        byte[] authPluginData, string authPluginName)
    {
        ServerVersion = serverVersion;
        ConnectionId = connectionId;
        Capabilities = capabilities;
        CharacterSet = characterSet;
        AuthPluginData = authPluginData;
        AuthPluginName = authPluginName;
    }

    /// <summary>As the server sent it; MariaDB 10.x prefixes "5.5.5-" for old replicas.</summary>
    public string ServerVersion { get; }

    public uint ConnectionId { get; }

    public CapabilityFlags Capabilities { get; }

    public byte CharacterSet { get; }

    /// <summary>The scramble without the terminating NUL the server appends.</summary>
    public byte[] AuthPluginData { get; }

    public string AuthPluginName { get; }

    public ServerFlavor Flavor => ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? ServerFlavor.MariaDb : ServerFlavor.MySql;

    public static HandshakeV10 Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        byte protocol = reader.ReadByte();
        if (protocol != 10)
            throw new WireProtocolException($"The server speaks handshake protocol {protocol}; only protocol 10 (MySQL 4.1 and later, MariaDB) is supported.");
        string version = reader.ReadNullTerminatedString("the server version");
        uint connectionId = reader.ReadUInt32("the connection id");
        var scramble = new List<byte>(21);
        scramble.AddRange(reader.ReadBytes(8, "the scramble"));
        reader.Skip(1, "the filler");
        var capabilities = (CapabilityFlags)reader.ReadUInt16("the capability flags");
        byte characterSet = 0;
        string plugin = "mysql_native_password";
        if (!reader.IsAtEnd)
        {
            characterSet = reader.ReadByte("the character set");
            reader.Skip(2, "the status flags");
            capabilities |= (CapabilityFlags)((uint)reader.ReadUInt16("the capability flags") << 16);
            int dataLength = reader.ReadByte("the auth data length");
            reader.Skip(10, "the reserved bytes"); // MariaDB puts its extended capabilities in the last 4
            if ((capabilities & CapabilityFlags.SecureConnection) != 0)
            {
                int part2 = Math.Max(13, dataLength - 8);
                scramble.AddRange(reader.ReadBytes(Math.Min(part2, reader.Remaining), "the scramble"));
            }
            if ((capabilities & CapabilityFlags.PluginAuth) != 0 && !reader.IsAtEnd)
            {
                // Some old servers end the name with the packet instead of a NUL.
                var rest = reader.ReadToEnd();
                int nul = rest.IndexOf((byte)0);
                plugin = Encoding.UTF8.GetString(nul < 0 ? rest : rest[..nul]);
            }
        }
        // The scramble is sent NUL-terminated (20 bytes + 0x00); the NUL is not part of it.
        if (scramble.Count > 0 && scramble[^1] == 0) scramble.RemoveAt(scramble.Count - 1);
        return new HandshakeV10(version, connectionId, capabilities, characterSet, scramble.ToArray(), plugin);
    }
}
