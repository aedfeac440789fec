using System.Text;

namespace Relay.Binlog.Protocol;

/// <summary>ERR_Packet (header 0xFF): error code, SQL state (absent before capabilities are agreed) and message.</summary>
internal readonly struct ErrPacket
{
    public const byte Header = 0xFF;

    private ErrPacket(int errorCode, string sqlState, string message)
    {
        ErrorCode = errorCode;
        SqlState = sqlState;
        Message = message;
    }

    public int ErrorCode { get; }

    public string SqlState { get; }

    public string Message { get; }

    public static bool Is(ReadOnlySpan<byte> payload) => payload.Length > 0 && payload[0] == Header;

    public static ErrPacket Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload, SpanErrors.WireProtocol);
        if (reader.ReadByte() != Header) throw new WireProtocolException("Expected an ERR packet.");
        int code = reader.ReadUInt16("the error code");
        string state = "HY000";
        // The '#' marker and state are missing when the server fails before the handshake response (e.g. too many connections).
        if (!reader.IsAtEnd && reader.PeekByte() == (byte)'#' && reader.Remaining >= 6)
        {
            reader.Skip(1, "the state marker");
            state = Encoding.ASCII.GetString(reader.ReadBytes(5, "the SQL state"));
        }
        string message = Encoding.UTF8.GetString(reader.ReadToEnd());
        return new ErrPacket(code, state, message);
    }

    public MySqlServerException ToException(string? context = null) => new(ErrorCode, SqlState, Message, context);
}
