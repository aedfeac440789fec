namespace Relay.Binlog.Events;

/// <summary>
/// The decoding plan of one column: its <see cref="ColumnKind"/> with the numbers its TABLE_MAP metadata gave
/// (length-prefix size, byte size, precision/scale, fractional-second digits), its resolved charset and signedness,
/// and the ENUM/SET labels. Computed once per table shape, so decoding a row is a switch per value.
/// </summary>
internal readonly struct ColumnLayout
{
    public ColumnLayout(ColumnKind kind, int size = 0, int precision = 0, int scale = 0)
    {
        Kind = kind;
        Size = size;
        Precision = precision;
        Scale = scale;
    }

    public ColumnKind Kind { get; }

    /// <summary>Length-prefix bytes (strings, blobs, JSON, geometry), value bytes (ENUM, SET, BIT), fsp (temporal types), or CHAR's byte length.</summary>
    public int Size { get; }

    /// <summary>NEWDECIMAL precision; for CHAR, the declared byte length (binary values are padded back to it).</summary>
    public int Precision { get; }

    /// <summary>NEWDECIMAL scale.</summary>
    public int Scale { get; }

    public bool Unsigned { get; init; }

    public MySqlCharset Charset { get; init; }

    /// <summary>The collation id the charset came from, to name it in errors.</summary>
    public int Collation { get; init; }

    /// <summary>ENUM or SET labels when the metadata (or the caller) gave them.</summary>
    public string[]? Labels { get; init; }
}
