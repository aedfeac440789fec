namespace Relay.Binlog.Protocol;

/// <summary>OK_Packet (header 0x00): the fields a command's caller may need.</summary>
internal readonly struct OkPacket
{
    public const byte Header = 0x00;

    /// <summary>SERVER_MORE_RESULTS_EXISTS: another result follows this one.</summary>
    public const ushort MoreResultsExist = 0x0008;

    private OkPacket(ulong affectedRows, ulong lastInsertId, ushort status, ushort warnings)
    {
        AffectedRows = affectedRows;
        LastInsertId = lastInsertId;
        StatusFlags = status;
        Warnings = warnings;
    }

    public ulong AffectedRows { get; }

    public ulong LastInsertId { get; }

    public ushort StatusFlags { get; }

    public ushort Warnings { get; }

    public static bool Is(ReadOnlySpan<byte> payload) => payload.Length >= 7 && payload[0] == Header;

    public static OkPacket Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        if (reader.ReadByte() is not (0x00 or 0xFE)) throw new WireProtocolException("Expected an OK packet.");
        ulong affected = reader.ReadPackedInteger();
        ulong insertId = reader.ReadPackedInteger();
        ushort status = reader.ReadUInt16();
        ushort warnings = reader.ReadUInt16();
        return new OkPacket(affected, insertId, status, warnings);
    }
}
