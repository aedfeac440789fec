namespace Relay.Binlog.Events;

/// <summary>
/// A table as one TABLE_MAP described it: id, names, column types with their metadata, nullability and the
/// <see cref="TableColumns"/> (metadata completed by the caller's), plus the per-column decoding plan. Immutable; a
/// new instance is made whenever the TABLE_MAP's bytes change (a new table id after DDL or FLUSH BINARY LOGS, an
/// added column), so a caller can tell a shape change by reference.
/// </summary>
public sealed class BinlogTable
{
    private readonly MySqlColumnType[] _types;
    private readonly ushort[] _metadata;
    private readonly bool[] _nullable;

    internal BinlogTable(ulong tableId, string schema, string name, MySqlColumnType[] types, ushort[] metadata, bool[] nullable,
        TableColumns columns, ColumnLayout[] layouts)
    {
        TableId = tableId;
        Schema = schema;
        Name = name;
        _types = types;
        _metadata = metadata;
        _nullable = nullable;
        Columns = columns;
        Layouts = layouts;
    }

    public ulong TableId { get; }

    public string Schema { get; }

    public string Name { get; }

    public int ColumnCount => _types.Length;

    /// <summary>The type byte of each column as logged (ENUM and SET appear as STRING with their real type in the metadata).</summary>
    public IReadOnlyList<MySqlColumnType> ColumnTypes => _types;

    /// <summary>Each column's metadata, the bytes as logged in order (first byte low), 0 for types without any.</summary>
    public IReadOnlyList<ushort> ColumnMetadata => _metadata;

    public IReadOnlyList<bool> Nullable => _nullable;

    /// <summary>Names, collations, signedness, labels, primary key: from the TABLE_MAP, completed with the caller's.</summary>
    public TableColumns Columns { get; }

    internal ColumnLayout[] Layouts { get; }

    public override string ToString() => $"{Schema}.{Name} (table id {TableId}, {ColumnCount} columns)";
}
