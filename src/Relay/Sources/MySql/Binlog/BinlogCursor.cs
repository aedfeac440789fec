using Relay.Binlog.Gtids;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Where the reader stands in the binlog while it streams: the file and the position after the last event it
/// consumed, the GTIDs executed up to there, and, parsed once, what the sink's committed position covers.
/// One per stream; the reader updates it event by event, and the transactions it hands out read it.
/// </summary>
internal sealed class BinlogCursor
{
    private readonly MariaDbGtidPosition? _mariaDb;
    private readonly MySqlGtidSet? _mySql;
    private string? _gtidsText;

    public BinlogCursor(bool isMariaDb, string server, string file, ulong position, string gtids, BinlogPosition? committed)
    {
        IsMariaDb = isMariaDb;
        Server = server;
        File = file;
        Position = position;
        if (isMariaDb) _mariaDb = MariaDbGtidPosition.Parse(gtids);
        else _mySql = MySqlGtidSet.Parse(gtids);
        Committed = committed;
        if (committed is { Gtids.Length: > 0 } c)
        {
            if (isMariaDb) CommittedMariaDb = MariaDbGtidPosition.Parse(c.Gtids);
            else CommittedMySql = MySqlGtidSet.Parse(c.Gtids);
        }
    }

    public bool IsMariaDb { get; }
    public string Server { get; }
    public string File { get; set; }
    public ulong Position { get; set; }

    public BinlogPosition? Committed { get; }
    private MariaDbGtidPosition? CommittedMariaDb { get; }
    private MySqlGtidSet? CommittedMySql { get; }

    /// <summary>The executed GTIDs as text, computed when a position needs it.</summary>
    public string Gtids => _gtidsText ??= IsMariaDb ? _mariaDb!.ToString() : _mySql!.ToString();

    /// <summary>A transaction committed: its GTID (none for anonymous ones) joins the executed set.</summary>
    public void Executed(BinlogTransaction transaction)
    {
        if (transaction.MariaDbGtid is { } maria) _mariaDb!.Update(maria);
        else if (transaction.MySqlGtid is { } mysql) _mySql!.Add(mysql);
        else return;
        _gtidsText = null;
    }

    /// <summary>The position after everything consumed so far, no transaction open.</summary>
    public BinlogPosition Current => new(IsMariaDb, Server, File, Position, Gtids, 0, Complete: true);

    /// <summary>True when the committed position's GTIDs include the transaction's (so the sink has all its rows).</summary>
    public bool CommittedGtidsInclude(BinlogTransaction transaction)
    {
        if (transaction.MariaDbGtid is { } maria)
            return CommittedMariaDb is not null && CommittedMariaDb.TryGet(maria.DomainId, out var last) && maria.Sequence <= last.Sequence;
        return transaction.MySqlGtid is { } mysql && CommittedMySql is not null && CommittedMySql.Contains(mysql);
    }
}
