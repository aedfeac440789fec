namespace Relay.Sources.MySql.Binlog.Events;

/// <summary>MariaDB ANNOTATE_ROWS (160): the statement that produced the following rows events (sent only on request).</summary>
internal sealed class AnnotateRowsEvent : BinlogEvent
{
    public string Statement { get; internal set; } = "";
}
