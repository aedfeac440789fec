namespace Relay.Binlog.Events;

/// <summary>How a column's value lies in a row image, resolved once per TABLE_MAP shape from the type and its metadata.</summary>
internal enum ColumnKind : byte
{
    Null,
    Tiny,
    Short,
    Int24,
    Long,
    LongLong,
    Year,
    Float,
    Double,
    NewDecimal,
    Date,
    Time,
    Time2,
    DateTime,
    DateTime2,
    Timestamp,
    Timestamp2,
    /// <summary>VARCHAR: a 1- or 2-byte length, then bytes.</summary>
    VarString,
    /// <summary>CHAR/BINARY: a 1- or 2-byte length, then bytes stripped of trailing pad (binary is padded back).</summary>
    FixedString,
    /// <summary>BLOB/TEXT: a 1- to 4-byte length, then bytes.</summary>
    Blob,
    Enum,
    Set,
    Bit,
    /// <summary>MySQL's binary JSON (type 245).</summary>
    Json,
    Geometry,
    /// <summary>MariaDB's UUID (10.7+), logged as BINARY(16): printed as SELECT prints it.</summary>
    Uuid,
    /// <summary>MariaDB's INET6 (10.5+), logged as BINARY(16).</summary>
    Inet6,
    /// <summary>MariaDB's INET4 (10.10+), logged as BINARY(4).</summary>
    Inet4,
}
