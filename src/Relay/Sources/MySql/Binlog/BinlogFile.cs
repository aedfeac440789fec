namespace Relay.Sources.MySql.Binlog;

/// <summary>A binlog file the server keeps, as SHOW BINARY LOGS lists it; the newest one's size is where the server writes next.</summary>
internal readonly record struct BinlogFile(string Name, ulong Size);
