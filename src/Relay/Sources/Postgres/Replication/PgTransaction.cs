using NpgsqlTypes;
using Relay.Sources.LogTailing;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// A transaction as pgoutput announces it: its Begin carries the LSN where its commit record starts (which
/// orders transactions as they committed) and the commit time; its Commit adds where the commit record ends.
/// </summary>
internal readonly record struct PgTransaction(NpgsqlLogSequenceNumber CommitLsn, NpgsqlLogSequenceNumber EndLsn, DateTimeOffset? CommitTime)
    : ILogTransaction<WalPosition>
{
    /// <summary>
    /// All outbox rows of an earlier transaction, the published part of the committed one, none of a later one.
    /// The server resumes at the slot's confirmed LSN, which may lie before the committed position (an
    /// acknowledgement lost in a crash), and then replays transactions the sink already has.
    /// </summary>
    public long RowsCovered(WalPosition? committed)
    {
        if (committed is not { } c) return 0;
        var order = ((ulong)CommitLsn).CompareTo((ulong)c.CommitLsn);
        if (order < 0) return long.MaxValue;
        if (order > 0) return 0;
        return c.Complete ? long.MaxValue : c.RowsDone;
    }

    /// <summary>Only the Commit message tells where the commit record ends, so a partial position leaves it unknown (0/0).</summary>
    public WalPosition Partial(long rowsDone) => new(CommitLsn, default, rowsDone, Complete: false);

    public WalPosition Complete(long rows) => new(CommitLsn, EndLsn, rows, Complete: true);
}
