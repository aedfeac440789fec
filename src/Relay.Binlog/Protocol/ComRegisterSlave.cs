using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// COM_REGISTER_SLAVE: announces this client as a replica with its server id (shown by SHOW SLAVE HOSTS with the
/// reported host, user, password and port, which may be empty), before COM_BINLOG_DUMP.
/// </summary>
internal static class ComRegisterSlave
{
    public static void Write(PacketWriter writer, uint serverId, string reportHost, string reportUser, string reportPassword, ushort reportPort)
    {
        writer.WriteByte((byte)CommandCode.RegisterSlave);
        writer.WriteUInt32(serverId);
        WriteShortString(writer, reportHost, nameof(reportHost));
        WriteShortString(writer, reportUser, nameof(reportUser));
        WriteShortString(writer, reportPassword, nameof(reportPassword));
        writer.WriteUInt16(reportPort);
        writer.WriteUInt32(0); // replication rank: ignored by the server
        writer.WriteUInt32(0); // master id: 0 lets the server fill in its own
    }

    private static void WriteShortString(PacketWriter writer, string value, string name)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > 255) throw new ArgumentException($"The {name} reported to the server must be at most 255 bytes.", name);
        writer.WriteByte((byte)length);
        writer.WriteString(value);
    }
}
