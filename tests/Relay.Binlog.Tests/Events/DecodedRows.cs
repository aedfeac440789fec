using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>Feeds captured events through a decoder and keeps what the tests look at (events are reused, so copies).</summary>
internal sealed class DecodedRows
{
    public List<object?[]> Rows { get; } = [];

    /// <summary>The table each row came from (the decoder's BinlogTable instance, so a shape change shows as a new instance).</summary>
    public List<BinlogTable> RowTables { get; } = [];

    public List<(BinlogEventType Type, string? File, long Position)> Events { get; } = [];

    public List<string> Statements { get; } = [];

    public List<BinlogTable> Tables { get; } = [];

    public FormatDescriptionEvent? FormatDescription { get; private set; }

    public static DecodedRows Decode(BinlogEventDecoder decoder, IEnumerable<(string File, ReadOnlyMemory<byte> Event)> events,
        Action<BinlogEvent>? onEvent = null)
    {
        var result = new DecodedRows();
        foreach (var (file, bytes) in events)
        {
            // A file has no ROTATE naming itself at its start; a reader of files names it.
            decoder.FileName = file;
            decoder.Feed(bytes);
            while (decoder.TryRead(out var e))
            {
                result.Events.Add((e.Type, e.FileName, e.Header.StartPosition));
                onEvent?.Invoke(e);
                switch (e)
                {
                    case FormatDescriptionEvent fde:
                        result.FormatDescription = fde;
                        break;
                    case QueryEvent query:
                        result.Statements.Add(query.Statement);
                        break;
                    case TableMapEvent { Table: { } table } when !result.Tables.Contains(table):
                        result.Tables.Add(table);
                        break;
                    case RowsEvent { Table: null }:
                        break; // a table the decoder was not asked for: its rows are not decoded
                    case WriteRowsEvent write:
                        while (write.TryReadRow(out var row))
                        {
                            result.Rows.Add(row);
                            result.RowTables.Add(write.Table!);
                        }
                        break;
                }
            }
        }
        return result;
    }
}
