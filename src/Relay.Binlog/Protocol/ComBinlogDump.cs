namespace Relay.Binlog.Protocol;

/// <summary>
/// COM_BINLOG_DUMP: binlog position (u32), flags (u16), server id (u32), file name to the end of the packet.
/// MariaDB starts from @slave_connect_state instead when it is set and the file name is empty.
/// </summary>
internal static class ComBinlogDump
{
    /// <summary>BINLOG_DUMP_NON_BLOCK: end with an EOF packet at the end of the binlog instead of waiting.</summary>
    public const ushort NonBlock = 0x01;

    /// <summary>BINLOG_SEND_ANNOTATE_ROWS_EVENT (MariaDB): send ANNOTATE_ROWS events with each statement's text.</summary>
    public const ushort SendAnnotateRows = 0x02;

    public static void Write(PacketWriter writer, uint position, ushort flags, uint serverId, string fileName)
    {
        writer.WriteByte((byte)CommandCode.BinlogDump);
        writer.WriteUInt32(position);
        writer.WriteUInt16(flags);
        writer.WriteUInt32(serverId);
        writer.WriteString(fileName);
    }
}
