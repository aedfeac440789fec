namespace Relay.Binlog.Events;

/// <summary>
/// A TABLE_MAP that does not name its columns (binlog_row_metadata other than FULL) disagrees with the
/// <see cref="TableColumns"/> given to <see cref="BinlogEventDecoder.AddTable"/>: another column count, or a column
/// of another type. The table was altered between the logging of these rows and the caller's reading of its
/// columns, so the caller's names cannot be trusted for them. Retrying the same events cannot help.
/// </summary>
public sealed class BinlogTableChangedException : Exception
{
    internal BinlogTableChangedException(string table, int? ordinal, string? columnName, string problem, string? fileName = null, long position = -1)
        : base(Describe(table, problem, fileName, position))
    {
        Table = table;
        Ordinal = ordinal;
        ColumnName = columnName;
        Problem = problem;
        FileName = fileName;
        Position = position;
    }

    /// <summary>The table as schema.name.</summary>
    public string Table { get; }

    /// <summary>The first column that differs, null when the column counts differ.</summary>
    public int? Ordinal { get; }

    /// <summary>The caller's name of <see cref="Ordinal"/>'s column (or of the first column one side lacks), when known.</summary>
    public string? ColumnName { get; }

    /// <summary>What differs, without the location.</summary>
    public string Problem { get; }

    /// <summary>The binlog file of the TABLE_MAP, when known.</summary>
    public string? FileName { get; }

    /// <summary>Where the TABLE_MAP (or the TRANSACTION_PAYLOAD holding it) starts, or -1.</summary>
    public long Position { get; }

    internal BinlogTableChangedException At(string? fileName, long position) =>
        FileName is not null || Position >= 0 ? this : new BinlogTableChangedException(Table, Ordinal, ColumnName, Problem, fileName, position);

    private static string Describe(string table, string problem, string? fileName, long position)
    {
        var where = (fileName, position) switch
        {
            (not null, >= 0) => $" at {fileName}:{position}",
            (null, >= 0) => $" at position {position}",
            _ => "",
        };
        return $"The TABLE_MAP of {table}{where} does not match its columns as supplied: {problem}";
    }
}
