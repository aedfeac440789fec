using System.Text;

namespace Relay.Binlog.Events;

/// <summary>
/// Decodes a TABLE_MAP body (libbinlogevents rows_event.h, "Table_map_event"): post-header table id (6 bytes, 4 when
/// the post-header is 6) and flags; then the schema and table names (length byte, bytes, NUL), the column count, one
/// type byte per column, the per-column metadata block, the nullability bitmap, and the optional TLV metadata of
/// binlog_row_metadata=MINIMAL/FULL.
/// </summary>
internal static class TableMapParser
{
    // Optional metadata field types (Table_map_event::Optional_metadata_field_type).
    private const byte Signedness = 1;
    private const byte DefaultCharset = 2;
    private const byte ColumnCharset = 3;
    private const byte ColumnName = 4;
    private const byte SetStrValue = 5;
    private const byte EnumStrValue = 6;
    private const byte SimplePrimaryKey = 8;
    private const byte PrimaryKeyWithPrefix = 9;
    private const byte EnumAndSetDefaultCharset = 10;
    private const byte EnumAndSetColumnCharset = 11;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The table id and the two names, enough to decide whether the table is wanted; allocates nothing.</summary>
    public static ulong ReadHeader(ReadOnlySpan<byte> body, int postHeaderLength, out ushort flags, out int schemaOffset,
        out int schemaLength, out int tableOffset, out int tableLength)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var tableId = postHeaderLength == 6 ? reader.ReadUInt32("the table id") : reader.ReadUInt48("the table id");
        flags = reader.ReadUInt16("the flags");
        if (postHeaderLength > 8) reader.Skip(postHeaderLength - 8, "the rest of the post-header");
        schemaLength = reader.ReadByte("the schema name length");
        schemaOffset = reader.Position;
        reader.Skip(schemaLength + 1, "the schema name");
        tableLength = reader.ReadByte("the table name length");
        tableOffset = reader.Position;
        reader.Skip(tableLength + 1, "the table name");
        return tableId;
    }

    public static BinlogTable Parse(ReadOnlySpan<byte> body, int postHeaderLength, bool isMariaDb, TableColumns? supplied)
    {
        var tableId = ReadHeader(body, postHeaderLength, out _, out var schemaOffset, out var schemaLength, out var tableOffset, out var tableLength);
        var schema = Utf8(body.Slice(schemaOffset, schemaLength), "the schema name");
        var name = Utf8(body.Slice(tableOffset, tableLength), "the table name");
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        reader.Skip(tableOffset + tableLength + 1, "the names");

        var count = reader.ReadPackedInteger("the column count");
        if (count > 4096) throw new BinlogFormatException($"TABLE_MAP of {schema}.{name} claims {count} columns (MySQL allows 4096)");
        var columnCount = (int)count;
        var types = new MySqlColumnType[columnCount];
        var typeBytes = reader.ReadBytes(columnCount, "the column types");
        for (var i = 0; i < columnCount; i++) types[i] = (MySqlColumnType)typeBytes[i];

        var metadata = new ushort[columnCount];
        var nullable = new bool[columnCount];
        if (!reader.IsAtEnd)
        {
            var metadataLength = reader.ReadPackedLength("the column metadata length");
            var block = new SpanReader(reader.ReadBytes(metadataLength, "the column metadata"), SpanErrors.BinlogFormat);
            for (var i = 0; i < columnCount; i++)
            {
                metadata[i] = MetadataSize(types[i]) switch
                {
                    0 => 0,
                    1 => block.ReadByte("column metadata"),
                    _ => block.ReadUInt16("column metadata"),
                };
            }
            if (!block.IsAtEnd)
                throw new BinlogFormatException($"TABLE_MAP of {schema}.{name}: {block.Remaining} column metadata bytes left over after {columnCount} columns");
            var nulls = reader.ReadBytes((columnCount + 7) / 8, "the nullability bitmap");
            for (var i = 0; i < columnCount; i++) nullable[i] = (nulls[i >> 3] & (1 << (i & 7))) != 0;
        }

        var columns = new TableColumns(columnCount);
        var optional = reader.ReadToEnd();
        if (!optional.IsEmpty) ReadOptionalMetadata(optional, types, metadata, isMariaDb, columns, $"{schema}.{name}");
        if (supplied is not null)
        {
            // Names the TABLE_MAP leaves out come from the caller, whose view of the table may be younger than these rows.
            if (Array.IndexOf(columns.Names, null) >= 0) CheckShape(supplied, types, $"{schema}.{name}");
            if (supplied.Count == columnCount) columns.FillGapsFrom(supplied);
            columns.FillDataTypesByName(supplied);
        }

        var layouts = BuildLayouts(types, metadata, columns, $"{schema}.{name}");
        return new BinlogTable(tableId, schema, name, types, metadata, nullable, columns, layouts);
    }

    /// <summary>The bytes of per-column metadata a type has in the TABLE_MAP metadata block (Table_map_event docs).</summary>
    private static int MetadataSize(MySqlColumnType type) => type switch
    {
        MySqlColumnType.Float or MySqlColumnType.Double or MySqlColumnType.Blob or MySqlColumnType.TinyBlob or
            MySqlColumnType.MediumBlob or MySqlColumnType.LongBlob or MySqlColumnType.Geometry or MySqlColumnType.Json or
            MySqlColumnType.Time2 or MySqlColumnType.DateTime2 or MySqlColumnType.Timestamp2 => 1,
        MySqlColumnType.VarChar or MySqlColumnType.VarString or MySqlColumnType.String or MySqlColumnType.Bit or
            MySqlColumnType.NewDecimal or MySqlColumnType.Enum or MySqlColumnType.Set => 2,
        MySqlColumnType.Tiny or MySqlColumnType.Short or MySqlColumnType.Int24 or MySqlColumnType.Long or MySqlColumnType.LongLong or
            MySqlColumnType.Null or MySqlColumnType.Timestamp or MySqlColumnType.Date or MySqlColumnType.Time or
            MySqlColumnType.DateTime or MySqlColumnType.Year or MySqlColumnType.NewDate => 0,
        _ => throw new BinlogFormatException($"column type {(byte)type} is not supported by this decoder (its metadata size is unknown)"),
    };

    /// <summary>STRING/VAR_STRING metadata: the real type (STRING, ENUM, SET) and the byte length, with CHAR over 255 bytes' extra bits.</summary>
    private static (MySqlColumnType RealType, int Length) StringMetadata(ushort metadata)
    {
        var first = metadata & 0xFF;
        var second = metadata >> 8;
        // Field_string stores real_type ^ ((length & 0x300) >> 4): the two high length bits hide in bits 4-5 of the type.
        if ((first & 0x30) != 0x30) return ((MySqlColumnType)(first | 0x30), second | ((first & 0x30) ^ 0x30) << 4);
        return ((MySqlColumnType)first, second);
    }

    private static bool IsEnumOrSet(MySqlColumnType type, ushort metadata) =>
        type is MySqlColumnType.Enum or MySqlColumnType.Set ||
        type is MySqlColumnType.String or MySqlColumnType.VarString && StringMetadata(metadata).RealType is MySqlColumnType.Enum or MySqlColumnType.Set;

    /// <summary>
    /// The columns the charset metadata counts: CHAR/VARCHAR/BLOB-like (not ENUM/SET, which have their own fields).
    /// MariaDB also counts GEOMETRY (its is_character_type: "Base class is blob for geom type"); MySQL does not.
    /// </summary>
    private static bool IsCharacter(MySqlColumnType type, ushort metadata, bool isMariaDb) => type switch
    {
        MySqlColumnType.String or MySqlColumnType.VarString => !IsEnumOrSet(type, metadata),
        MySqlColumnType.VarChar or MySqlColumnType.Blob or MySqlColumnType.TinyBlob or MySqlColumnType.MediumBlob or MySqlColumnType.LongBlob => true,
        MySqlColumnType.Geometry => isMariaDb,
        MySqlColumnType.Vector => !isMariaDb,
        _ => false,
    };

    private static bool IsNumeric(MySqlColumnType type) => type is MySqlColumnType.Tiny or MySqlColumnType.Short or
        MySqlColumnType.Int24 or MySqlColumnType.Long or MySqlColumnType.LongLong or MySqlColumnType.NewDecimal or
        MySqlColumnType.Float or MySqlColumnType.Double;

    private static void ReadOptionalMetadata(ReadOnlySpan<byte> optional, MySqlColumnType[] types, ushort[] metadata, bool isMariaDb,
        TableColumns columns, string table)
    {
        var count = types.Length;
        var numeric = new List<int>();
        var character = new List<int>();
        var enumOrSet = new List<int>();
        var enums = new List<int>();
        var sets = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (IsNumeric(types[i])) numeric.Add(i);
            if (IsCharacter(types[i], metadata[i], isMariaDb)) character.Add(i);
            if (IsEnumOrSet(types[i], metadata[i]))
            {
                enumOrSet.Add(i);
                var real = types[i] is MySqlColumnType.Enum or MySqlColumnType.Set ? types[i] : StringMetadata(metadata[i]).RealType;
                (real == MySqlColumnType.Enum ? enums : sets).Add(i);
            }
        }

        List<byte[][]>? enumLabels = null, setLabels = null;
        var labelCollations = new int[count];
        var reader = new SpanReader(optional, SpanErrors.BinlogFormat);
        while (!reader.IsAtEnd)
        {
            var type = reader.ReadByte("an optional metadata type");
            var length = reader.ReadPackedLength("an optional metadata length");
            var fieldBytes = reader.ReadBytes(length, "an optional metadata field");
            var field = new SpanReader(fieldBytes, SpanErrors.BinlogFormat);
            switch (type)
            {
                case Signedness:
                    // One bit per numeric column, most significant bit first.
                    if (fieldBytes.Length < (numeric.Count + 7) / 8)
                        throw new BinlogFormatException($"TABLE_MAP of {table}: SIGNEDNESS has {fieldBytes.Length} bytes for {numeric.Count} numeric columns");
                    for (var n = 0; n < numeric.Count; n++)
                        columns.Unsigned[numeric[n]] = (fieldBytes[n >> 3] & (0x80 >> (n & 7))) != 0;
                    break;
                case DefaultCharset:
                    ReadDefaultCharset(ref field, character, columns.Collations, table, "DEFAULT_CHARSET");
                    break;
                case ColumnCharset:
                    ReadColumnCharsets(ref field, character, columns.Collations, table, "COLUMN_CHARSET");
                    break;
                case EnumAndSetDefaultCharset:
                    ReadDefaultCharset(ref field, enumOrSet, labelCollations, table, "ENUM_AND_SET_DEFAULT_CHARSET");
                    break;
                case EnumAndSetColumnCharset:
                    ReadColumnCharsets(ref field, enumOrSet, labelCollations, table, "ENUM_AND_SET_COLUMN_CHARSET");
                    break;
                case ColumnName:
                    for (var i = 0; i < count; i++)
                    {
                        var nameLength = field.ReadPackedLength("a column name length");
                        columns.Names[i] = Utf8(field.ReadBytes(nameLength, "a column name"), "a column name");
                    }
                    break;
                case EnumStrValue:
                    enumLabels = ReadLabels(ref field, enums.Count, table, "ENUM_STR_VALUE");
                    break;
                case SetStrValue:
                    setLabels = ReadLabels(ref field, sets.Count, table, "SET_STR_VALUE");
                    break;
                case SimplePrimaryKey:
                {
                    var key = new List<int>();
                    while (!field.IsAtEnd) key.Add(CheckedOrdinal(field.ReadPackedInteger("a primary key column"), count, table));
                    columns.PrimaryKey = key.ToArray();
                    break;
                }
                case PrimaryKeyWithPrefix:
                {
                    var key = new List<int>();
                    while (!field.IsAtEnd)
                    {
                        key.Add(CheckedOrdinal(field.ReadPackedInteger("a primary key column"), count, table));
                        field.ReadPackedInteger("a primary key prefix length");
                    }
                    columns.PrimaryKey = key.ToArray();
                    break;
                }
                default:
                    // GEOMETRY_TYPE, COLUMN_VISIBILITY, VECTOR_DIMENSIONALITY and fields of later versions: not needed.
                    break;
            }
        }

        // Labels are text in the ENUM/SET column's own charset; FULL metadata sends that charset alongside.
        if (enumLabels is not null) AssignLabels(enumLabels, enums, labelCollations, columns.EnumValues, table);
        if (setLabels is not null) AssignLabels(setLabels, sets, labelCollations, columns.SetValues, table);
    }

    private static void ReadDefaultCharset(ref SpanReader field, List<int> columnsCounted, int[] collations, string table, string what)
    {
        var defaultCollation = (int)field.ReadPackedInteger(what);
        foreach (var ordinal in columnsCounted) collations[ordinal] = defaultCollation;
        while (!field.IsAtEnd)
        {
            var index = field.ReadPackedInteger(what + " column index");
            var collation = (int)field.ReadPackedInteger(what + " collation");
            if (index >= (ulong)columnsCounted.Count)
                throw new BinlogFormatException($"TABLE_MAP of {table}: {what} names column index {index} of only {columnsCounted.Count}");
            collations[columnsCounted[(int)index]] = collation;
        }
    }

    private static void ReadColumnCharsets(ref SpanReader field, List<int> columnsCounted, int[] collations, string table, string what)
    {
        var n = 0;
        while (!field.IsAtEnd)
        {
            var collation = (int)field.ReadPackedInteger(what);
            if (n >= columnsCounted.Count)
                throw new BinlogFormatException($"TABLE_MAP of {table}: {what} lists more collations than its {columnsCounted.Count} columns");
            collations[columnsCounted[n++]] = collation;
        }
        if (n != columnsCounted.Count)
            throw new BinlogFormatException($"TABLE_MAP of {table}: {what} lists {n} collations for {columnsCounted.Count} columns");
    }

    /// <summary>Each ENUM/SET column's labels as raw bytes: their charset may come in a later TLV field.</summary>
    private static List<byte[][]> ReadLabels(ref SpanReader field, int expected, string table, string what)
    {
        var all = new List<byte[][]>();
        while (!field.IsAtEnd)
        {
            var labelCount = field.ReadPackedInteger(what + " value count");
            if (labelCount > 65535) throw new BinlogFormatException($"TABLE_MAP of {table}: {what} claims {labelCount} values");
            var labels = new byte[labelCount][];
            for (var v = 0; v < labels.Length; v++)
                labels[v] = field.ReadBytes(field.ReadPackedLength(what + " value length"), what + " value").ToArray();
            all.Add(labels);
        }
        if (all.Count != expected)
            throw new BinlogFormatException($"TABLE_MAP of {table}: {what} has values for {all.Count} columns, the table has {expected}");
        return all;
    }

    private static void AssignLabels(List<byte[][]> labels, List<int> ordinals, int[] labelCollations, string[]?[] target, string table)
    {
        for (var n = 0; n < ordinals.Count; n++)
        {
            var ordinal = ordinals[n];
            // Without ENUM_AND_SET charset fields the labels are taken as UTF-8, strictly: other bytes fail, not garble.
            var charset = labelCollations[ordinal] == 0 ? MySqlCharset.Utf8 : MySqlCollations.Charset(labelCollations[ordinal]);
            var raw = labels[n];
            var decoded = new string[raw.Length];
            for (var v = 0; v < raw.Length; v++)
            {
                decoded[v] = charset == MySqlCharset.Binary
                    ? Encoding.Latin1.GetString(raw[v])
                    : MySqlText.Decode(charset, raw[v], $"collation {labelCollations[ordinal]} of the labels of column #{ordinal} of {table}");
            }
            target[ordinal] = decoded;
        }
    }

    private static int CheckedOrdinal(ulong ordinal, int count, string table) => ordinal < (ulong)count
        ? (int)ordinal
        : throw new BinlogFormatException($"TABLE_MAP of {table}: primary key column {ordinal} of only {count} columns");

    /// <summary>
    /// Throws <see cref="BinlogTableChangedException"/> when the TABLE_MAP's column count or a column's type differs from
    /// the caller's (types compared as families: TIME and TIME2, ENUM/SET and STRING, every BLOB size are one each).
    /// </summary>
    private static void CheckShape(TableColumns supplied, MySqlColumnType[] types, string table)
    {
        if (supplied.Count != types.Length)
            throw new BinlogTableChangedException(table, null, null,
                $"the TABLE_MAP has {types.Length} columns, the supplied columns are {supplied.Count} ({string.Join(", ", supplied.Names)})");
        for (var i = 0; i < types.Length; i++)
        {
            if (supplied.Types[i] is not { } expected) continue;
            var logged = types[i];
            if (Family(logged) != Family(expected))
                throw new BinlogTableChangedException(table, i, supplied.Names[i],
                    $"column '{supplied.Names[i]}' (#{i}) is {expected} in the supplied columns but {logged} in the TABLE_MAP");
        }
    }

    private static MySqlColumnType Family(MySqlColumnType type) => type switch
    {
        MySqlColumnType.Time2 => MySqlColumnType.Time,
        MySqlColumnType.DateTime2 => MySqlColumnType.DateTime,
        MySqlColumnType.Timestamp2 => MySqlColumnType.Timestamp,
        MySqlColumnType.NewDate => MySqlColumnType.Date,
        MySqlColumnType.Enum or MySqlColumnType.Set => MySqlColumnType.String,
        MySqlColumnType.VarString => MySqlColumnType.VarChar,
        MySqlColumnType.TinyBlob or MySqlColumnType.MediumBlob or MySqlColumnType.LongBlob => MySqlColumnType.Blob,
        MySqlColumnType.Decimal => MySqlColumnType.NewDecimal,
        _ => type,
    };

    /// <summary>What decoding column <paramref name="i"/> needs and nobody said, or null.</summary>
    private static string? Missing(MySqlColumnType type, ushort metadata, TableColumns columns, int i)
    {
        switch (type)
        {
            case MySqlColumnType.Tiny or MySqlColumnType.Short or MySqlColumnType.Int24 or MySqlColumnType.Long or MySqlColumnType.LongLong:
                return columns.Unsigned[i] is null ? "signedness" : null;
            case MySqlColumnType.VarChar or MySqlColumnType.Blob:
            case MySqlColumnType.String or MySqlColumnType.VarString when !IsEnumOrSet(type, metadata):
                return MySqlCollations.Charset(columns.Collations[i]) == MySqlCharset.Unknown
                    ? columns.Collations[i] == 0 ? "charset" : $"charset (collation id {columns.Collations[i]} is not known)"
                    : null;
            default:
                return null;
        }
    }

    private static ColumnLayout[] BuildLayouts(MySqlColumnType[] types, ushort[] metadata, TableColumns columns, string table)
    {
        var layouts = new ColumnLayout[types.Length];
        List<string>? missing = null;
        for (var i = 0; i < types.Length; i++)
        {
            if (Missing(types[i], metadata[i], columns, i) is { } what)
                (missing ??= []).Add($"{what} of column {Describe(columns, i)} ({types[i]})");
        }
        if (missing is not null)
            throw new BinlogFormatException(
                $"the TABLE_MAP of {table} does not say the {string.Join(", ", missing)}: the server logs them with " +
                "binlog_row_metadata=FULL (or MINIMAL); else pass them in the TableColumns given to AddTable");

        for (var i = 0; i < types.Length; i++)
        {
            var meta = metadata[i];
            var unsigned = columns.Unsigned[i] ?? false;
            var charset = MySqlCollations.Charset(columns.Collations[i]);
            layouts[i] = types[i] switch
            {
                MySqlColumnType.Tiny => new ColumnLayout(ColumnKind.Tiny) { Unsigned = unsigned },
                MySqlColumnType.Short => new ColumnLayout(ColumnKind.Short) { Unsigned = unsigned },
                MySqlColumnType.Int24 => new ColumnLayout(ColumnKind.Int24) { Unsigned = unsigned },
                MySqlColumnType.Long => new ColumnLayout(ColumnKind.Long) { Unsigned = unsigned },
                MySqlColumnType.LongLong => new ColumnLayout(ColumnKind.LongLong) { Unsigned = unsigned },
                MySqlColumnType.Year => new ColumnLayout(ColumnKind.Year),
                MySqlColumnType.Float => meta == 4 ? new ColumnLayout(ColumnKind.Float) : throw Bad(i, "FLOAT with a pack length other than 4"),
                MySqlColumnType.Double => meta == 8 ? new ColumnLayout(ColumnKind.Double) : throw Bad(i, "DOUBLE with a pack length other than 8"),
                MySqlColumnType.NewDecimal => Decimal(meta & 0xFF, meta >> 8, i),
                MySqlColumnType.Date => new ColumnLayout(ColumnKind.Date),
                MySqlColumnType.Time => new ColumnLayout(ColumnKind.Time),
                MySqlColumnType.DateTime => new ColumnLayout(ColumnKind.DateTime),
                MySqlColumnType.Timestamp => new ColumnLayout(ColumnKind.Timestamp),
                MySqlColumnType.Time2 => new ColumnLayout(ColumnKind.Time2, Fsp(meta, i)),
                MySqlColumnType.DateTime2 => new ColumnLayout(ColumnKind.DateTime2, Fsp(meta, i)),
                MySqlColumnType.Timestamp2 => new ColumnLayout(ColumnKind.Timestamp2, Fsp(meta, i)),
                MySqlColumnType.VarChar => new ColumnLayout(ColumnKind.VarString, meta > 255 ? 2 : 1, meta) { Charset = charset, Collation = columns.Collations[i] },
                MySqlColumnType.Blob => meta is >= 1 and <= 4
                    ? new ColumnLayout(ColumnKind.Blob, meta) { Charset = charset, Collation = columns.Collations[i] }
                    : throw Bad(i, $"BLOB with a {meta}-byte length"),
                MySqlColumnType.Json => meta is >= 1 and <= 4 ? new ColumnLayout(ColumnKind.Json, meta) : throw Bad(i, $"JSON with a {meta}-byte length"),
                MySqlColumnType.Geometry => meta is >= 1 and <= 4 ? new ColumnLayout(ColumnKind.Geometry, meta) : throw Bad(i, $"GEOMETRY with a {meta}-byte length"),
                MySqlColumnType.Bit => Bit(meta, i),
                MySqlColumnType.String or MySqlColumnType.VarString => String(meta, charset, columns, i),
                MySqlColumnType.Null => new ColumnLayout(ColumnKind.Null),
                _ => throw Bad(i, $"type {types[i]} ({(byte)types[i]}), which this decoder does not read"),
            };
        }
        return layouts;

        BinlogFormatException Bad(int i, string what) => new($"TABLE_MAP of {table}: column {Describe(columns, i)} is {what}");

        int Fsp(ushort meta, int i) => meta <= 6 ? meta : throw Bad(i, $"a temporal type with {meta} fractional digits");

        ColumnLayout Decimal(int precision, int scale, int i) => precision is >= 1 and <= 65 && scale <= precision && scale <= 30
            ? new ColumnLayout(ColumnKind.NewDecimal, 0, precision, scale)
            : throw Bad(i, $"DECIMAL({precision},{scale})");

        ColumnLayout Bit(ushort meta, int i)
        {
            // Field_bit metadata: bits % 8, then bits / 8.
            var bits = (meta >> 8) * 8 + (meta & 0xFF);
            return bits is >= 1 and <= 64 ? new ColumnLayout(ColumnKind.Bit, (bits + 7) / 8) : throw Bad(i, $"BIT({bits})");
        }

        ColumnLayout String(ushort meta, MySqlCharset charset, TableColumns cols, int i)
        {
            var (realType, length) = StringMetadata(meta);
            return realType switch
            {
                MySqlColumnType.Enum => length is 1 or 2 ? new ColumnLayout(ColumnKind.Enum, length) { Labels = cols.EnumValues[i] } : throw Bad(i, $"ENUM of {length} bytes"),
                MySqlColumnType.Set => length is >= 1 and <= 8 ? new ColumnLayout(ColumnKind.Set, length) { Labels = cols.SetValues[i] } : throw Bad(i, $"SET of {length} bytes"),
                MySqlColumnType.String when charset == MySqlCharset.Binary && FixedBinaryKind(cols.DataTypes[i], length) is { } kind =>
                    new ColumnLayout(kind, 1, length) { Charset = charset, Collation = cols.Collations[i] },
                MySqlColumnType.String or MySqlColumnType.VarString => new ColumnLayout(ColumnKind.FixedString, length > 255 ? 2 : 1, length) { Charset = charset, Collation = cols.Collations[i] },
                _ => throw Bad(i, $"a string column of real type {(byte)realType}"),
            };
        }
    }

    /// <summary>MariaDB's fixed-binary types by their information_schema DATA_TYPE and logged length.</summary>
    private static ColumnKind? FixedBinaryKind(string? dataType, int length) => (dataType, length) switch
    {
        ("uuid", 16) => ColumnKind.Uuid,
        ("inet6", 16) => ColumnKind.Inet6,
        ("inet4", 4) => ColumnKind.Inet4,
        _ => null,
    };

    private static string Describe(TableColumns columns, int i) => columns.Names[i] is { } name ? $"'{name}' (#{i})" : $"#{i}";

    private static string Utf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new BinlogFormatException($"{what} is not valid UTF-8", e);
        }
    }
}
