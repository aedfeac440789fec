namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// The event group being read (a transaction, an XA branch's prepare, a decision, a statement). Its outcome is known only
/// at its end (an XID or COMMIT, a ROLLBACK, an XA_PREPARE), so its outbox rows are held until then, up to a bound;
/// past the bound they are dropped (<see cref="Spilled"/>) and the group is read again from its start once its outcome is
/// known. Savepoints are tracked by the ordinal of the event in the group, so that a second reading undoes the same
/// rows: <c>ROLLBACK TO s</c> undoes the rows logged since <c>SAVEPOINT s</c>.
/// </summary>
internal sealed class BinlogGroup(BinlogTransaction transaction, bool standalone, bool explicitBegin)
{
    private List<OutboxRow>? _rows;
    private List<(string Name, int Rows, int Event)>? _savepoints;
    private List<(int From, int To)>? _undone;

    public BinlogTransaction Transaction { get; } = transaction;

    /// <summary>A statement that is a group of its own (DDL), which ends it.</summary>
    public bool Standalone { get; } = standalone;

    /// <summary>The group opened with BEGIN or XA START (or MariaDB's GTID of a transaction): a statement inside does not end it.</summary>
    public bool ExplicitBegin { get; set; } = explicitBegin;

    /// <summary>The ordinal of the event being read in the group (GTID event = 0).</summary>
    public int Event { get; private set; }

    /// <summary>Too many rows to hold: they were dropped, and the group is read again once its outcome is known.</summary>
    public bool Spilled { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>The rows held (those a ROLLBACK TO undid are gone); empty when spilled.</summary>
    public IReadOnlyList<OutboxRow> Rows => (IReadOnlyList<OutboxRow>?)_rows ?? [];

    public void NextEvent() => Event++;

    public void Add(OutboxRow row, int maxRows, long maxBytes)
    {
        if (Spilled) return;
        _rows ??= [];
        _rows.Add(row);
        Bytes += row.ApproximateBytes;
        if (_rows.Count > maxRows || Bytes > maxBytes) Spill();
    }

    /// <summary>Drops the rows held; the group is read again from its start when its outcome is known.</summary>
    public void Spill()
    {
        Spilled = true;
        _rows = null;
        Bytes = 0;
    }

    /// <summary>SAVEPOINT: a savepoint of the same name is replaced.</summary>
    public void Savepoint(string name)
    {
        _savepoints ??= [];
        _savepoints.RemoveAll(s => s.Name == name);
        _savepoints.Add((name, _rows?.Count ?? 0, Event));
    }

    /// <summary>ROLLBACK TO: undoes the rows since the savepoint, which stays; the savepoints set after it are gone.</summary>
    public void RollbackTo(string name)
    {
        var index = _savepoints?.FindLastIndex(s => s.Name == name) ?? -1;
        if (index < 0) return; // set before the group's events (an InnoDB-only start): nothing of it reached the log
        var savepoint = _savepoints![index];
        _savepoints.RemoveRange(index + 1, _savepoints.Count - index - 1);
        (_undone ??= []).Add((savepoint.Event, Event));
        if (_rows is not null && _rows.Count > savepoint.Rows)
        {
            for (var i = savepoint.Rows; i < _rows.Count; i++) Bytes -= _rows[i].ApproximateBytes;
            _rows.RemoveRange(savepoint.Rows, _rows.Count - savepoint.Rows);
        }
    }

    /// <summary>The events a ROLLBACK TO undid, by ordinal, for reading the group again.</summary>
    public IReadOnlyList<(int From, int To)> Undone => (IReadOnlyList<(int From, int To)>?)_undone ?? [];

    public static bool IsUndone(IReadOnlyList<(int From, int To)> undone, int ordinal)
    {
        foreach (var (from, to) in undone)
            if (ordinal > from && ordinal < to) return true;
        return false;
    }
}
