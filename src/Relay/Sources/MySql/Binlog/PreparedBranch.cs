namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// An XA branch prepared and not yet decided: where its group starts (a restart must read from there while it is
/// undecided), the GTIDs executed before it (to start a dump there by GTID), and its outbox rows, held while they are
/// few; null when the group is read again at the decision (<see cref="Undone"/> then says what a ROLLBACK TO undid).
/// </summary>
internal sealed record PreparedBranch(
    string Xid, string StartFile, ulong StartPosition, string GtidsBefore, IReadOnlyList<OutboxRow>? Rows, long Bytes, IReadOnlyList<(int From, int To)> Undone);
