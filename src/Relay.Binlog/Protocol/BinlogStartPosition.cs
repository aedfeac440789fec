using System.Text.RegularExpressions;

namespace Relay.Binlog.Protocol;

/// <summary>
/// Where a dump starts: a binlog file and position (either server), a MariaDB GTID position
/// (domain-server-sequence per domain), or a MySQL GTID set in its binary encoding (the GTID set type encodes it).
/// </summary>
public sealed partial class BinlogStartPosition
{
    private BinlogStartPosition(BinlogStartKind kind, string fileName, ulong position, string? mariaDbGtidPosition, ReadOnlyMemory<byte> mySqlGtidSet)
    {
        Kind = kind;
        FileName = fileName;
        Position = position;
        MariaDbGtidPosition = mariaDbGtidPosition;
        MySqlGtidSet = mySqlGtidSet;
    }

    public BinlogStartKind Kind { get; }

    public string FileName { get; }

    public ulong Position { get; }

    /// <summary>For <see cref="BinlogStartKind.MariaDbGtid"/>: e.g. "0-1-100,1-2-7", the last GTID applied per domain.</summary>
    public string? MariaDbGtidPosition { get; }

    /// <summary>For <see cref="BinlogStartKind.MySqlGtidSet"/>: the executed set as COM_BINLOG_DUMP_GTID carries it.</summary>
    public ReadOnlyMemory<byte> MySqlGtidSet { get; }

    /// <summary>The first binlog position of a file; events start after the 4-byte magic number.</summary>
    public const uint FirstEventPosition = 4;

    /// <summary>From a file and position: the position of an event start (4 for the beginning of the file).</summary>
    public static BinlogStartPosition FromFile(string fileName, ulong position)
    {
        if (string.IsNullOrWhiteSpace(fileName))
            throw new ArgumentException("A binlog file name is required (e.g. mysql-bin.000042, as SHOW BINARY LOGS lists them).", nameof(fileName));
        if (fileName.Length > 511 || fileName.Contains('\0'))
            throw new ArgumentException($"'{fileName}' is not a binlog file name.", nameof(fileName));
        if (position < FirstEventPosition)
            throw new ArgumentOutOfRangeException(nameof(position), position, "A binlog position is at least 4 (the first event follows the 4-byte magic number).");
        return new BinlogStartPosition(BinlogStartKind.File, fileName, position, null, default);
    }

    /// <summary>
    /// From a MariaDB GTID position: the stream starts after these GTIDs ("" starts at the oldest binlog the server has).
    /// </summary>
    public static BinlogStartPosition FromMariaDbGtid(string gtidPosition)
    {
        ArgumentNullException.ThrowIfNull(gtidPosition);
        var normalized = string.Join(',', gtidPosition.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        if (normalized.Length > 0 && !MariaDbGtidList().IsMatch(normalized))
            throw new ArgumentException(
                $"'{gtidPosition}' is not a MariaDB GTID position; expected domain-server-sequence per domain, e.g. 0-1-100 or 0-1-100,1-2-7.",
                nameof(gtidPosition));
        return new BinlogStartPosition(BinlogStartKind.MariaDbGtid, "", FirstEventPosition, normalized, default);
    }

    /// <summary>From a MySQL executed GTID set (encoded: n_sids u64, then per SID uuid, n_intervals u64, [start, end) u64 pairs).</summary>
    public static BinlogStartPosition FromMySqlGtidSet(ReadOnlyMemory<byte> encodedGtidSet, string fileName = "", ulong position = FirstEventPosition)
    {
        if (encodedGtidSet.Length < 8)
            throw new ArgumentException("An encoded MySQL GTID set is at least 8 bytes (its SID count); encode the set with the GTID set type.", nameof(encodedGtidSet));
        ArgumentNullException.ThrowIfNull(fileName);
        return new BinlogStartPosition(BinlogStartKind.MySqlGtidSet, fileName, position, null, encodedGtidSet);
    }

    public override string ToString() => Kind switch
    {
        BinlogStartKind.File => $"{FileName}:{Position}",
        BinlogStartKind.MariaDbGtid => $"GTID '{MariaDbGtidPosition}'",
        _ => $"MySQL GTID set ({MySqlGtidSet.Length} bytes)",
    };

    [GeneratedRegex(@"^\d{1,10}-\d{1,10}-\d{1,20}(,\d{1,10}-\d{1,10}-\d{1,20})*$", RegexOptions.CultureInvariant)]
    private static partial Regex MariaDbGtidList();
}
