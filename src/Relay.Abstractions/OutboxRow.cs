using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Relay;

/// <summary>
/// One outbox row as a source read it, before routing. Values are the column values as the
/// database delivered them: <see cref="string"/> for text, json, jsonb and uuid columns,
/// <see cref="byte"/>[] for binary columns, other CLR types as the driver maps them, null for SQL NULL.
/// A source may hold a text value as the UTF-8 bytes it read instead (a column its <see cref="OutboxColumns"/>
/// marks as UTF-8 text): <see cref="ValueAt"/> and the indexer still give the string, while the router takes the
/// bytes as they are (<see cref="TryGetUtf8"/>), sparing each message a UTF-16 copy and its re-encoding.
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
    public object? this[string column] => ValueAt(_columns.IndexOf(column));

    public bool HasColumn(string column) => _columns.IndexOf(column) >= 0;

    /// <summary>The value at a column index of <see cref="Columns"/> (null for SQL NULL or an index of -1), for callers that resolved the names once.</summary>
    public object? ValueAt(int index)
    {
        if ((uint)index >= (uint)_values.Length) return null;
        var value = _values[index];
        return value is byte[] utf8 && _columns.IsUtf8Text(index) ? Encoding.UTF8.GetString(utf8) : value;
    }

    /// <summary>The UTF-8 bytes of a text value the source kept as bytes; false for every other value (then use <see cref="ValueAt"/>).</summary>
    public bool TryGetUtf8(int index, [NotNullWhen(true)] out byte[]? utf8)
    {
        if ((uint)index < (uint)_values.Length && _values[index] is byte[] bytes && _columns.IsUtf8Text(index))
        {
            utf8 = bytes;
            return true;
        }
        utf8 = null;
        return false;
    }

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
    private readonly bool[]? _utf8Text;
    private readonly Dictionary<string, int> _index;

    /// <param name="names">The column names, in the order of the rows' values.</param>
    /// <param name="utf8Text">
    /// Per column, whether its rows hold a text value as its UTF-8 bytes (a <see cref="byte"/>[]) rather than as a
    /// string; null when none does.
    /// </param>
    public OutboxColumns(IEnumerable<string> names, IReadOnlyList<bool>? utf8Text = null)
    {
        _names = names.ToArray();
        if (utf8Text is not null)
        {
            if (utf8Text.Count != _names.Length)
                throw new ArgumentException($"{utf8Text.Count} UTF-8 flags for {_names.Length} columns.", nameof(utf8Text));
            _utf8Text = utf8Text.ToArray();
        }
        _index = new Dictionary<string, int>(_names.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _names.Length; i++) _index.TryAdd(_names[i], i);
    }

    public int Count => _names.Length;
    public IReadOnlyList<string> Names => _names;
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>True when rows hold the column's text values as UTF-8 bytes.</summary>
    public bool IsUtf8Text(int index) => _utf8Text is { } flags && (uint)index < (uint)flags.Length && flags[index];
}
