using Relay.Binlog.Gtids;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Where the reader stands in the binlog while it streams: the file and the position after the last event it
/// consumed, the GTIDs executed up to there, the XA branches prepared and not yet decided, and, parsed once, what the
/// sink's committed position covers. One per stream; the reader updates it event by event, and the transactions it
/// hands out read it. <see cref="Idle"/> is read from another thread (the idle timer): it sees the position at the
/// last group boundary, taken under a lock with the GTIDs and the branches, never a file and position of two moments.
/// </summary>
internal sealed class BinlogCursor
{
    private readonly MariaDbGtidPosition? _mariaDb;
    private readonly MySqlGtidSet? _mySql;
    private readonly List<PreparedBranch> _pending = [];
    private readonly Lock _gate = new();
    private string? _gtidsText;
    private string _settledFile;
    private ulong _settledPosition;

    public BinlogCursor(bool isMariaDb, string server, string file, ulong position, string gtids, BinlogPosition? committed)
    {
        IsMariaDb = isMariaDb;
        Server = server;
        File = file;
        Position = position;
        _settledFile = file;
        _settledPosition = position;
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

    /// <summary>The reader's own: where the last event it consumed ends (inside a group too).</summary>
    public string File { get; set; }

    public ulong Position { get; set; }

    public BinlogPosition? Committed { get; }
    private MariaDbGtidPosition? CommittedMariaDb { get; }
    private MySqlGtidSet? CommittedMySql { get; }

    /// <summary>The executed GTIDs as text, computed when a position needs it.</summary>
    public string Gtids
    {
        get
        {
            lock (_gate) return _gtidsText ??= IsMariaDb ? _mariaDb!.ToString() : _mySql!.ToString();
        }
    }

    /// <summary>Between groups: the reader's position is a boundary a restart may read from.</summary>
    public void Settle()
    {
        lock (_gate)
        {
            _settledFile = File;
            _settledPosition = Position;
        }
    }

    /// <summary>A group ended: its GTID (none for anonymous ones) joins the executed set, and its end is a boundary.</summary>
    public void Executed(BinlogTransaction transaction)
    {
        lock (_gate)
        {
            if (transaction.MariaDbGtid is { } maria)
            {
                _mariaDb!.Update(maria);
                _gtidsText = null;
            }
            else if (transaction.MySqlGtid is { } mysql)
            {
                _mySql!.Add(mysql);
                _gtidsText = null;
            }
            _settledFile = File;
            _settledPosition = Position;
        }
    }

    public void Prepared(PreparedBranch branch)
    {
        lock (_gate)
        {
            _pending.RemoveAll(b => b.Xid == branch.Xid);
            _pending.Add(branch);
        }
    }

    public PreparedBranch? FindPending(string xid)
    {
        lock (_gate) return _pending.Find(b => b.Xid == xid);
    }

    public void Decided(string xid)
    {
        lock (_gate) _pending.RemoveAll(b => b.Xid == xid);
    }

    /// <summary>The rows held by undecided branches, to bound what they keep in memory.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_gate) return _pending.Sum(b => b.Bytes);
        }
    }

    /// <summary>Where a restart must read from while branches are undecided: the start of the oldest one's prepare.</summary>
    private PreparedBranch? OldestPending()
    {
        PreparedBranch? oldest = null;
        foreach (var branch in _pending)
        {
            if (oldest is null) oldest = branch;
            else
            {
                var order = BinlogPosition.CompareFiles(branch.StartFile, oldest.StartFile);
                if (order < 0 || (order == 0 && branch.StartPosition < oldest.StartPosition)) oldest = branch;
            }
        }
        return oldest;
    }

    /// <summary>A position at <paramref name="file"/>:<paramref name="position"/>, with the executed GTIDs and where a restart reads from.</summary>
    public BinlogPosition At(string file, ulong position, long rows, bool complete, string transaction = "")
    {
        lock (_gate) return AtLocked(file, position, rows, complete, transaction);
    }

    private BinlogPosition AtLocked(string file, ulong position, long rows, bool complete, string transaction)
    {
        var gtids = _gtidsText ??= IsMariaDb ? _mariaDb!.ToString() : _mySql!.ToString();
        var from = OldestPending();
        return new BinlogPosition(IsMariaDb, Server, file, position, gtids, rows, complete, transaction,
            from?.StartFile ?? "", from?.StartPosition ?? 0, from?.GtidsBefore ?? "");
    }

    /// <summary>The position after everything consumed so far, no transaction open (reader thread).</summary>
    public BinlogPosition Current => At(File, Position, 0, complete: true);

    /// <summary>The last group boundary, safe from any thread.</summary>
    public BinlogPosition Idle()
    {
        lock (_gate) return AtLocked(_settledFile, _settledPosition, 0, complete: true, "");
    }

    /// <summary>True when the committed position's GTIDs include the transaction's (so the sink has all its rows).</summary>
    public bool CommittedGtidsInclude(BinlogTransaction transaction)
    {
        if (transaction.MariaDbGtid is { } maria)
            return CommittedMariaDb is not null && CommittedMariaDb.TryGet(maria.DomainId, out var last) && maria.Sequence <= last.Sequence;
        return transaction.MySqlGtid is { } mysql && CommittedMySql is not null && CommittedMySql.Contains(mysql);
    }
}
