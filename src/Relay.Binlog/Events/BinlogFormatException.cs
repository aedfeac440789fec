namespace Relay.Binlog.Events;

/// <summary>
/// A binlog event that cannot be decoded as the format says it should be: truncated, corrupted (CRC32 mismatch), of
/// a shape this decoder does not handle, or inconsistent with the TABLE_MAP before it. The message names the event
/// type and where it is (file:position) when those are known, so an operator can look at it with mysqlbinlog.
/// </summary>
public sealed class BinlogFormatException : FormatException
{
    internal BinlogFormatException(string problem, Exception? inner = null)
        : this(problem, null, null, -1, inner)
    {
    }

    internal BinlogFormatException(string problem, BinlogEventType? eventType, string? fileName, long position, Exception? inner = null)
        : base(Describe(problem, eventType, fileName, position), inner)
    {
        Problem = problem;
        EventType = eventType;
        FileName = fileName;
        Position = position;
    }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    public BinlogEventType? EventType { get; }

    /// <summary>The binlog file, when a ROTATE (or the caller) named it.</summary>
    public string? FileName { get; }

    /// <summary>Where the event starts in <see cref="FileName"/>, or -1 when the sender gave no position.</summary>
    public long Position { get; }

    /// <summary>The same problem with the location of the event it was found in, unless one is already attached.</summary>
    internal BinlogFormatException At(BinlogEventType eventType, string? fileName, long position) =>
        EventType is not null ? this : new BinlogFormatException(Problem, eventType, fileName, position, InnerException ?? this);

    private static string Describe(string problem, BinlogEventType? eventType, string? fileName, long position)
    {
        if (eventType is null) return problem;
        var type = Enum.IsDefined(eventType.Value) ? $"{eventType.Value} ({(byte)eventType.Value})" : $"event type {(byte)eventType.Value}";
        var where = (fileName, position) switch
        {
            (not null, >= 0) => $" at {fileName}:{position}",
            (not null, _) => $" in {fileName} (position not given)",
            (null, >= 0) => $" at position {position}",
            _ => "",
        };
        return $"Binlog {type}{where}: {problem}";
    }
}
