using System.Globalization;

namespace Relay.Binlog.Events;

/// <summary>
/// XA_PREPARE_LOG (38): ends the events of an XA branch at <c>XA PREPARE</c> (its outcome comes later, as a group of its own
/// whose statement is <c>XA COMMIT</c> or <c>XA ROLLBACK</c> naming the same XID), or, with <see cref="OnePhase"/>, at
/// MySQL's <c>XA COMMIT … ONE PHASE</c>, which commits it there.
/// </summary>
public sealed class XaPrepareEvent : BinlogEvent
{
    public bool OnePhase { get; internal set; }

    /// <summary>
    /// The XID as the server writes it in the statements that decide the branch: <c>X'gtrid',X'bqual',formatId</c>, hex in
    /// lower case (e.g. <c>XA COMMIT X'7831',X'',1</c> decides the branch whose XID is <c>X'7831',X'',1</c>).
    /// </summary>
    public string Xid { get; internal set; } = "";

    internal static string FormatXid(long formatId, ReadOnlySpan<byte> gtrid, ReadOnlySpan<byte> bqual) =>
        $"X'{Convert.ToHexStringLower(gtrid)}',X'{Convert.ToHexStringLower(bqual)}',{formatId.ToString(CultureInfo.InvariantCulture)}";
}
