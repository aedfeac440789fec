namespace Relay.Binlog.Events;

/// <summary>The flags of a rows event's post-header (Rows_event::enum_flag).</summary>
[Flags]
public enum RowsEventFlags : ushort
{
    None = 0,
    /// <summary>The last rows event of a statement.</summary>
    StatementEnd = 1,
    NoForeignKeyChecks = 2,
    RelaxedUniqueChecks = 4,
    /// <summary>The rows carry every column of the table.</summary>
    CompleteRows = 8,
}
