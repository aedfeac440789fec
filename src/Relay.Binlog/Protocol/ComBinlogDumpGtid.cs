using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>
/// COM_BINLOG_DUMP_GTID (MySQL 5.6+): flags (u16), server id (u32), file name length (u32) and name, position (u64),
/// then the length (u32) and bytes of the encoded GTID set the replica has already executed. The server streams
/// every transaction not in that set. The set's encoding belongs to the GTID set type, not to this command.
/// </summary>
internal static class ComBinlogDumpGtid
{
    /// <summary>BINLOG_DUMP_NON_BLOCK.</summary>
    public const ushort NonBlock = 0x01;

    /// <summary>BINLOG_THROUGH_POSITION: start at the file and position given.</summary>
    public const ushort ThroughPosition = 0x02;

    /// <summary>BINLOG_THROUGH_GTID: the GTID set follows (the server reads it whatever the flags).</summary>
    public const ushort ThroughGtid = 0x04;

    public static void Write(PacketWriter writer, ushort flags, uint serverId, string fileName, ulong position, ReadOnlySpan<byte> encodedGtidSet)
    {
        writer.WriteByte((byte)CommandCode.BinlogDumpGtid);
        writer.WriteUInt16(flags);
        writer.WriteUInt32(serverId);
        writer.WriteUInt32((uint)Encoding.UTF8.GetByteCount(fileName));
        writer.WriteString(fileName);
        writer.WriteUInt64(position);
        writer.WriteUInt32((uint)encodedGtidSet.Length);
        writer.WriteBytes(encodedGtidSet);
    }
}
