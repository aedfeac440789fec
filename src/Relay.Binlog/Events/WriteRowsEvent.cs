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
