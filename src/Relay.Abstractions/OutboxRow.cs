namespace Relay;

/// <summary>
/// One outbox row as a source read it, before routing. Values are the column values as the
/// database delivered them: <see cref="string"/> for text, json, jsonb and uuid columns,
/// <see cref="byte"/>[] for binary columns, other CLR types as the driver maps them, null for SQL NULL.
/// </summary>
public sealed class OutboxRow
{
    private readonly OutboxColumns _columns;
    private readonly object?[] _values;
    private int _approximateBytes = -1;

    public OutboxRow(OutboxColumns columns, object?[] values)
    {
        if (values.Length != columns.Count)
            throw new ArgumentException($"Row has {values.Length} values for {columns.Count} columns.", nameof(values));
        _columns = columns;
        _values = values;
    }

    public OutboxColumns Columns => _columns;

    /// <summary>The value of a column, or null when the column is absent or SQL NULL.</summary>
    public object? this[string column] => _columns.IndexOf(column) is var i and >= 0 ? _values[i] : null;

    public bool HasColumn(string column) => _columns.IndexOf(column) >= 0;

    /// <summary>The value at a column index of <see cref="Columns"/> (null for SQL NULL or an index of -1), for callers that resolved the names once.</summary>
    public object? ValueAt(int index) => (uint)index < (uint)_values.Length ? _values[index] : null;

    /// <summary>
    /// Roughly the memory the row's values hold (UTF-16 strings, byte arrays, object headers), so buffers between
    /// the source and the sink can be bounded by bytes as well as by rows. Computed once.
    /// </summary>
    public int ApproximateBytes
    {
        get
        {
            if (_approximateBytes >= 0) return _approximateBytes;
            long bytes = 32 + 8 * _values.Length;
            foreach (var value in _values)
            {
                bytes += value switch
                {
                    null => 0,
                    string s => 22 + 2L * s.Length,
                    byte[] b => 24 + b.Length,
                    _ => 24,
                };
            }
            return _approximateBytes = (int)Math.Min(bytes, int.MaxValue);
        }
    }
}

/// <summary>The column names of a table, shared by every row read with that shape.</summary>
public sealed class OutboxColumns
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _index;

    public OutboxColumns(IEnumerable<string> names)
    {
        _names = names.ToArray();
        _index = new Dictionary<string, int>(_names.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _names.Length; i++) _index.TryAdd(_names[i], i);
    }

    public int Count => _names.Length;
    public IReadOnlyList<string> Names => _names;
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;
}
