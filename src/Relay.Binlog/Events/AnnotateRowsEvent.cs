namespace Relay.Binlog.Events;

/// <summary>
/// MariaDB ANNOTATE_ROWS (160): the statement that produced the following rows events (in binlog files, and over a
/// dump only on request). The text is decoded when first asked for, so skipping it costs nothing.
/// </summary>
internal sealed class AnnotateRowsEvent : BinlogEvent
{
    private ReadOnlyMemory<byte> _utf8;
    private string? _statement;

    public string Statement => _statement ??= BinlogText.Utf8(_utf8.Span, "the annotated statement");

    internal void Set(ReadOnlyMemory<byte> utf8)
    {
        _utf8 = utf8;
        _statement = null;
    }
}
