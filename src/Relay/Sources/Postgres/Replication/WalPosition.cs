using System.Globalization;
using NpgsqlTypes;
using Relay.Sources.LogTailing;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Where a log-tailing source stands: inside or after the transaction whose commit record starts at
/// <see cref="CommitLsn"/>. <see cref="RowsDone"/> counts the transaction's outbox rows published so
/// far, so a huge transaction split into chunks resumes at the right row. <see cref="EndLsn"/> (the end
/// of the commit record) is what the slot may be confirmed to once the transaction is complete; it is
/// unknown (0/0) while the transaction is partial, because only the Commit message carries it.
/// </summary>
public readonly record struct WalPosition(
    NpgsqlLogSequenceNumber CommitLsn,
    NpgsqlLogSequenceNumber EndLsn,
    long RowsDone,
    bool Complete) : ILogPosition<WalPosition>
{
    bool ILogPosition<WalPosition>.IsComplete => Complete;

    /// <summary>
    /// Everything before <paramref name="lsn"/> read, no transaction open: it covers each transaction whose commit
    /// record starts before <paramref name="lsn"/> (so as a complete position its commit LSN is one less), and the
    /// slot may be confirmed to <paramref name="lsn"/>.
    /// </summary>
    public static WalPosition Idle(NpgsqlLogSequenceNumber lsn) => new(new NpgsqlLogSequenceNumber((ulong)lsn - 1), lsn, 0, Complete: true);

    private const string Prefix = "pgwal:";
    private const string PartialSuffix = "partial";

    /// <summary>"pgwal:&lt;commitLsn&gt;:&lt;endLsn&gt;:&lt;rowsDone&gt;[:partial]", e.g. "pgwal:0/16B3748:0/16B3780:3".</summary>
    public string Encode() => Complete
        ? string.Create(CultureInfo.InvariantCulture, $"{Prefix}{CommitLsn}:{EndLsn}:{RowsDone}")
        : string.Create(CultureInfo.InvariantCulture, $"{Prefix}{CommitLsn}:{EndLsn}:{RowsDone}:{PartialSuffix}");

    public static bool TryParse(string? text, out WalPosition position)
    {
        position = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = text.AsSpan(Prefix.Length);

        Span<Range> parts = stackalloc Range[5];
        var count = rest.Split(parts, ':');
        if (count is not (3 or 4)) return false;
        var complete = true;
        if (count == 4)
        {
            if (!rest[parts[3]].SequenceEqual(PartialSuffix)) return false;
            complete = false;
        }
        if (!TryParseLsn(rest[parts[0]], out var commit) || !TryParseLsn(rest[parts[1]], out var end)) return false;
        var rows = rest[parts[2]];
        // Digits only: no sign, no white space, no thousands separators.
        foreach (var c in rows)
            if (!char.IsAsciiDigit(c)) return false;
        if (!long.TryParse(rows, NumberStyles.None, CultureInfo.InvariantCulture, out var rowsDone)) return false;
        // A complete transaction knows where its commit record ends, and it is after where it starts.
        if (complete && (ulong)end <= (ulong)commit) return false;
        position = new WalPosition(commit, end, rowsDone, complete);
        return true;
    }

    private static bool TryParseLsn(ReadOnlySpan<char> text, out NpgsqlLogSequenceNumber lsn)
    {
        lsn = default;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8) return false;
        if (!uint.TryParse(text[..slash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)) return false;
        if (!uint.TryParse(text[(slash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low)) return false;
        lsn = new NpgsqlLogSequenceNumber(((ulong)high << 32) | low);
        return true;
    }

    /// <summary>Stream order: by transaction, then by rows done; a complete position follows a partial one of the same transaction.</summary>
    public int CompareTo(WalPosition other)
    {
        var c = ((ulong)CommitLsn).CompareTo((ulong)other.CommitLsn);
        if (c != 0) return c;
        c = RowsDone.CompareTo(other.RowsDone);
        return c != 0 ? c : Complete.CompareTo(other.Complete);
    }

    public override string ToString() => Encode();
}
