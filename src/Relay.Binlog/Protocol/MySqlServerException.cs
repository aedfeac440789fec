namespace Relay.Binlog.Protocol;

/// <summary>
/// An ERR packet from the server: its error code, SQL state and message, as the server wrote them. Error 1236
/// (ER_MASTER_FATAL_ERROR_READING_BINLOG) is how a dump fails: purged file, unknown GTID, diverged replica.
/// </summary>
public class MySqlServerException : Exception
{
    /// <summary>ER_MASTER_FATAL_ERROR_READING_BINLOG: the server cannot send the requested binlog.</summary>
    public const int FatalErrorReadingBinlog = 1236;

    /// <summary>ER_ACCESS_DENIED_ERROR.</summary>
    public const int AccessDenied = 1045;

    public MySqlServerException(int errorCode, string sqlState, string serverMessage, string? context = null)
        : base(Format(errorCode, sqlState, serverMessage, context))
    {
        ErrorCode = errorCode;
        SqlState = sqlState;
        ServerMessage = serverMessage;
    }

    public int ErrorCode { get; }

    public string SqlState { get; }

    /// <summary>The server's own text, without the code and the context this client added.</summary>
    public string ServerMessage { get; }

    private static string Format(int code, string state, string message, string? context) =>
        context is null ? $"Server error {code} ({state}): {message}" : $"Server error {code} ({state}) {context}: {message}";
}
