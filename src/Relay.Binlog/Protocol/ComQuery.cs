namespace Relay.Binlog.Protocol;

/// <summary>COM_QUERY: the statement text, UTF-8, to the end of the packet.</summary>
internal static class ComQuery
{
    public static void Write(PacketWriter writer, string sql)
    {
        writer.WriteByte((byte)CommandCode.Query);
        writer.WriteString(sql);
    }
}
