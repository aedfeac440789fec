using System.Globalization;
using System.Text;
using Relay.Sources.LogTailing;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Where a binlog source stands, in the terms both a GTID resume and a file/position resume need:
/// the server's flavor and identity (a file/position means nothing on another server), the binlog file and
/// position, and the GTIDs executed. A complete position is after a transaction: the file/position of the event
/// following its commit and the GTIDs including it. A partial position is inside a transaction split into
/// chunks: the file/position where the transaction starts, the GTIDs before it, the transaction's own GTID and
/// how many of its outbox rows were published — a restart reads the transaction again and skips those.
/// While XA branches are prepared and undecided, either kind also names where a restart must read from: the start of
/// the oldest one's prepare (<see cref="ResumeFile"/>, <see cref="ResumePos"/>) and the GTIDs executed before it; what
/// lies between there and <see cref="File"/>/<see cref="Pos"/> is read again only to find the branches, and skipped.
/// </summary>
/// <remarks>Encoded as "mysqlbinlog;flavor=MariaDB;server=1;file=mysql-bin.000003;pos=4567;gtids=0-1-55;rows=3[;tx=0-1-56;partial]
/// [;from=mysql-bin.000002;frompos=800;fromgtids=0-1-40]".</remarks>
public readonly record struct BinlogPosition(
    bool IsMariaDb,
    string Server,
    string File,
    ulong Pos,
    string Gtids,
    long RowsDone,
    bool Complete,
    string Transaction = "",
    string ResumeFile = "",
    ulong ResumePos = 0,
    string ResumeGtids = "") : ILogPosition<BinlogPosition>
{
    private const string Prefix = "mysqlbinlog;";

    bool ILogPosition<BinlogPosition>.IsComplete => Complete;

    public string Encode()
    {
        var text = new StringBuilder(Prefix, 96 + Gtids.Length)
            .Append("flavor=").Append(IsMariaDb ? "MariaDB" : "MySQL")
            .Append(";server=").Append(Server)
            .Append(";file=").Append(File)
            .Append(";pos=").Append(Pos.ToString(CultureInfo.InvariantCulture))
            .Append(";gtids=").Append(Gtids)
            .Append(";rows=").Append(RowsDone.ToString(CultureInfo.InvariantCulture));
        if (!Complete) text.Append(";tx=").Append(Transaction).Append(";partial");
        if (ResumeFile.Length > 0)
            text.Append(";from=").Append(ResumeFile).Append(";frompos=").Append(ResumePos.ToString(CultureInfo.InvariantCulture)).Append(";fromgtids=").Append(ResumeGtids);
        return text.ToString();
    }

    public static bool TryParse(string? text, out BinlogPosition position)
    {
        position = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        string? flavor = null, server = null, file = null, gtids = null, tx = null, from = null, fromGtids = null;
        ulong? pos = null, fromPos = null;
        long? rows = null;
        var partial = false;
        foreach (var part in text[Prefix.Length..].Split(';'))
        {
            if (part == "partial")
            {
                partial = true;
                continue;
            }
            var equals = part.IndexOf('=');
            if (equals <= 0) return false;
            var value = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "flavor" when value is "MariaDB" or "MySQL": flavor = value; break;
                case "server": server = value; break;
                case "file" when value.Length > 0: file = value; break;
                case "pos" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p >= 4: pos = p; break;
                case "gtids": gtids = value; break;
                case "rows" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var r): rows = r; break;
                case "tx": tx = value; break;
                case "from" when value.Length > 0: from = value; break;
                case "frompos" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var f) && f >= 4: fromPos = f; break;
                case "fromgtids": fromGtids = value; break;
                default: return false;
            }
        }
        if (flavor is null || server is null || file is null || pos is null || gtids is null || rows is null) return false;
        if (partial != tx is not null) return false;
        if ((from is null) != (fromPos is null) || (from is null) != (fromGtids is null)) return false;
        position = new BinlogPosition(flavor == "MariaDB", server, file, pos.Value, gtids, rows.Value, !partial, tx ?? "", from ?? "", fromPos ?? 0, fromGtids ?? "");
        return true;
    }

    /// <summary>
    /// Log order on one server: by file (its sequence number), then position; a transaction's chunks (partial, at the
    /// transaction's start) come after the position before it and before the position after it. Positions of two
    /// servers have no order: one of another server counts as later, so a source that moved to another server moves on.
    /// </summary>
    public int CompareTo(BinlogPosition other)
    {
        if (Server != other.Server || IsMariaDb != other.IsMariaDb) return 1;
        var c = CompareFiles(File, other.File);
        if (c != 0) return c;
        c = Pos.CompareTo(other.Pos);
        if (c != 0) return c;
        c = (!Complete).CompareTo(!other.Complete); // at one position, the complete one (after the previous transaction) comes first
        return c != 0 ? c : RowsDone.CompareTo(other.RowsDone);
    }

    /// <summary>Binlog files are base.NNNNNN; the number orders them (it may outgrow six digits).</summary>
    internal static int CompareFiles(string a, string b)
    {
        var dotA = a.LastIndexOf('.');
        var dotB = b.LastIndexOf('.');
        if (dotA > 0 && dotB > 0 && a.AsSpan(0, dotA).SequenceEqual(b.AsSpan(0, dotB)) &&
            ulong.TryParse(a.AsSpan(dotA + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var na) &&
            ulong.TryParse(b.AsSpan(dotB + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var nb))
            return na.CompareTo(nb);
        return string.CompareOrdinal(a, b);
    }

    public override string ToString() => Encode();
}
