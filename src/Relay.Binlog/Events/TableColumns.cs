namespace Relay.Binlog.Events;

/// <summary>
/// What a TABLE_MAP may or may not say about a table's columns, by ordinal: names, collations (hence charsets),
/// signedness, ENUM/SET labels and the primary key. With binlog_row_metadata=FULL the server sends all of it; with
/// MINIMAL only signedness and charsets; with NO_LOG (MariaDB's default) nothing. A caller that knows more (from
/// information_schema, say) passes its own instance to <see cref="BinlogEventDecoder.AddTable"/>, and the decoder
/// fills every gap the TABLE_MAP leaves from it; what the TABLE_MAP says wins. Unknown entries are null (0 for
/// collations).
/// </summary>
public sealed class TableColumns
{
    public TableColumns(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Names = new string?[count];
        Collations = new int[count];
        Unsigned = new bool?[count];
        EnumValues = new string[]?[count];
        SetValues = new string[]?[count];
        Types = new MySqlColumnType?[count];
        DataTypes = new string?[count];
    }

    public int Count { get; }

    public string?[] Names { get; }

    /// <summary>Collation ids (63 = binary); 0 when unknown. <see cref="SetCharset"/> takes a charset name.</summary>
    public int[] Collations { get; }

    public bool?[] Unsigned { get; }

    public string[]?[] EnumValues { get; }

    public string[]?[] SetValues { get; }

    /// <summary>
    /// Each column's type as the binlog logs it (<see cref="MySqlColumnType.String"/> for CHAR, ENUM and SET,
    /// <see cref="MySqlColumnType.Blob"/> for every TEXT and BLOB size), when the caller knows it; null when unknown. A
    /// TABLE_MAP that does not name its columns is checked against these, so that values are never given the names of
    /// a table that has changed since they were logged (see <see cref="BinlogTableChangedException"/>).
    /// </summary>
    public MySqlColumnType?[] Types { get; }
    /// information_schema's DATA_TYPE ("uuid", "inet6", "inet4", ...), which no TABLE_MAP carries: MariaDB logs its
    /// UUID, INET6 and INET4 columns as BINARY(n), and only this tells the decoder to print them as SELECT does.
    /// </summary>
    public string?[] DataTypes { get; }

    /// <summary>Primary key column ordinals in key order, or null when unknown.</summary>
    public int[]? PrimaryKey { get; set; }

    /// <summary>Sets a column's charset by name ("utf8mb4", "latin1", "binary").</summary>
    public TableColumns SetCharset(int ordinal, string charsetName)
    {
        Collations[ordinal] = MySqlCollations.DefaultId(charsetName);
        return this;
    }

    /// <summary>The ordinal of a column by name (MySQL column names are case-insensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Count; i++)
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>Fills what this instance does not know from <paramref name="other"/> (same column count).</summary>
    internal void FillGapsFrom(TableColumns other)
    {
        for (var i = 0; i < Count; i++)
        {
            Names[i] ??= other.Names[i];
            if (Collations[i] == 0) Collations[i] = other.Collations[i];
            Unsigned[i] ??= other.Unsigned[i];
            EnumValues[i] ??= other.EnumValues[i];
            SetValues[i] ??= other.SetValues[i];
        }
        PrimaryKey ??= other.PrimaryKey;
    }

    /// <summary>
    /// Takes the data types <paramref name="other"/> gives a column of the same name, never by ordinal: no TABLE_MAP says
    /// UUID or INET6, and the caller's columns may be of another shape (a column added or moved since).
    /// </summary>
    internal void FillDataTypesByName(TableColumns other)
    {
        for (var i = 0; i < Count; i++)
        {
            if (DataTypes[i] is not null || Names[i] is not { } name) continue;
            var j = other.IndexOf(name);
            if (j >= 0) DataTypes[i] = other.DataTypes[j];
        }
    }
}
