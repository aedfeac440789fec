namespace Relay.Binlog.Protocol;

/// <summary>
/// EOF_Packet (header 0xFE, under 9 bytes): ends column definitions and rows of a text result set, and a
/// non-blocking binlog dump. The length tells it apart from a length-encoded 0xFE integer or an event.
/// </summary>
internal readonly struct EofPacket
{
    public const byte Header = 0xFE;

    private EofPacket(ushort warnings, ushort status)
    {
        Warnings = warnings;
        StatusFlags = status;
    }

    public ushort Warnings { get; }

    public ushort StatusFlags { get; }

    public static bool Is(ReadOnlySpan<byte> payload) => payload.Length is > 0 and < 9 && payload[0] == Header;

    public static EofPacket Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        if (reader.ReadByte() != Header) throw new WireProtocolException("Expected an EOF packet.");
        if (reader.Remaining < 4) return new EofPacket(0, 0);
        ushort warnings = reader.ReadUInt16();
        ushort status = reader.ReadUInt16();
        return new EofPacket(warnings, status);
    }
}
