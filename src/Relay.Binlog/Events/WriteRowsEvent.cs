using System.Diagnostics.CodeAnalysis;

namespace Relay.Binlog.Events;

/// <summary>
/// WRITE_ROWS v1 (23), v2 (30) and MariaDB's compressed ones (166, 169): inserted rows. For a table the caller asked
/// for, <see cref="TryReadRow"/> decodes one row at a time into the project's value normal form, as an
/// <c>object?[]</c> in table column order (columns absent from the image are null). Rows of other tables are never
/// decoded. Must be read before the decoder's next read.
/// </summary>
public sealed class WriteRowsEvent : RowsEvent
{
    private RowDecoder? _decoder;
    private ReadOnlyMemory<byte> _present;
    private ReadOnlyMemory<byte> _rows;
    private int _presentCount;
    private int _offset;
    private long _generation;

    /// <summary>
    /// True when the row image holds every column of the table (binlog_row_image=FULL). A MINIMAL or NOBLOB image
    /// leaves out the columns the statement did not set (a session can choose that with SET SESSION binlog_row_image),
    /// and <see cref="TryReadRow"/> gives null for them: a caller that needs whole rows checks this first.
    /// </summary>
    public bool HasEveryColumn => Table is null || _presentCount == Table.ColumnCount;

    /// <summary>The ordinals of the columns the row image leaves out (empty when <see cref="HasEveryColumn"/>).</summary>
    public int[] MissingColumns()
    {
        if (HasEveryColumn) return [];
        var present = _present.Span;
        var missing = new List<int>();
        for (var i = 0; i < Table!.ColumnCount; i++)
            if ((present[i >> 3] & (1 << (i & 7))) == 0) missing.Add(i);
        return missing.ToArray();
    }

    /// <summary>Rows decoded from this event so far.</summary>
    public int RowsRead { get; private set; }

    /// <summary>Decodes the next row; false when the event has no more rows or its table was not asked for.</summary>
    public bool TryReadRow([NotNullWhen(true)] out object?[]? row)
    {
        row = null;
        if (Table is null || _decoder is null || _offset >= _rows.Length) return false;
        if (_decoder.Generation != _generation)
            throw new InvalidOperationException("The rows of a WRITE_ROWS event must be read before the decoder reads the next event.");
        try
        {
            row = _decoder.ReadRow(Table, _present.Span, _presentCount, _rows.Span, ref _offset);
        }
        catch (BinlogFormatException e)
        {
            throw e.At(Type, FileName, Header.StartPosition);
        }
        RowsRead++;
        return true;
    }

    internal void SetRows(RowDecoder decoder, ReadOnlyMemory<byte> present, int presentCount, ReadOnlyMemory<byte> rows)
    {
        _decoder = decoder;
        _generation = decoder.Generation;
        _present = present;
        _presentCount = presentCount;
        _rows = rows;
        _offset = 0;
        RowsRead = 0;
    }

    internal void ClearRows()
    {
        _decoder = null;
        _present = default;
        _rows = default;
        _offset = 0;
        RowsRead = 0;
    }
}
