namespace Relay.Sources.LogTailing;

/// <summary>
/// One transaction as the log announces it. Its begin carries what identifies it; its commit (the same
/// transaction, completed with what only the commit record tells) yields the position after it.
/// </summary>
internal interface ILogTransaction<TPosition> where TPosition : struct, ILogPosition<TPosition>
{
    /// <summary>When the transaction committed, as the database recorded it; null when unknown.</summary>
    DateTimeOffset? CommitTime { get; }

    /// <summary>How many of this transaction's outbox rows the sink has already: all, some (a chunk was committed), or none.</summary>
    long RowsCovered(TPosition? committed);

    /// <summary>The position inside the transaction after <paramref name="rowsDone"/> of its outbox rows.</summary>
    TPosition Partial(long rowsDone);

    /// <summary>The position after the whole transaction, which had <paramref name="rows"/> outbox rows. Valid on the commit.</summary>
    TPosition Complete(long rows);
}
