using Relay.Sources.LogTailing;
using Relay.Binlog.Gtids;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// A transaction as the binlog announces it: its GTID event (MariaDB's, MySQL's, or an anonymous one), where that
/// event starts, and when it committed. An XA branch is published as the group that commits it (XA COMMIT): that
/// group's GTID, start and time, with the rows of the branch's prepare. The positions it makes read the stream's <see cref="BinlogCursor"/>, which
/// holds the GTIDs before the transaction while its rows stream, and the file/position and GTIDs after it when its
/// commit is handed out; so they are valid only while the change that carries the transaction is current.
/// </summary>
internal readonly record struct BinlogTransaction(
    BinlogCursor Cursor, MariaDbGtid? MariaDbGtid, MySqlGtid? MySqlGtid, string StartFile, ulong StartPosition, DateTimeOffset? CommitTime)
    : ILogTransaction<BinlogPosition>
{
    /// <summary>The GTID as text, "" for an anonymous transaction.</summary>
    public string Gtid => MariaDbGtid?.ToString() ?? MySqlGtid?.ToString() ?? "";

    /// <summary>
    /// A restart resumes right after the committed position, so the transactions the sink has do not come again —
    /// but the rule holds for whatever the server sends: a transaction the committed GTIDs (or, on the same server,
    /// the committed file/position) include is skipped whole; the one the committed position is inside loses the
    /// rows published before.
    /// </summary>
    public long RowsCovered(BinlogPosition? committed)
    {
        if (committed is not { } c) return 0;
        var sameServer = c.Server == Cursor.Server && c.IsMariaDb == Cursor.IsMariaDb;
        if (!c.Complete)
        {
            var same = Gtid.Length > 0
                ? Gtid == c.Transaction
                : sameServer && StartFile == c.File && StartPosition == c.Pos;
            if (same) return c.RowsDone;
        }
        if (Cursor.CommittedGtidsInclude(this)) return long.MaxValue;
        if (sameServer && Gtid.Length == 0)
        {
            // Without GTIDs only the file/position tells: a transaction starting before the committed position is covered.
            var order = BinlogPosition.CompareFiles(StartFile, c.File);
            if (order < 0 || (order == 0 && StartPosition < c.Pos)) return long.MaxValue;
        }
        return 0;
    }

    public BinlogPosition Partial(long rowsDone) => Cursor.At(StartFile, StartPosition, rowsDone, complete: false, Gtid);

    public BinlogPosition Complete(long rows) => Cursor.At(Cursor.File, Cursor.Position, rows, complete: true);
}
