using System.Globalization;

namespace Relay.Binlog.Gtids;

/// <summary>One MariaDB GTID, "domain-server-sequence" ("0-1-100").</summary>
public readonly record struct MariaDbGtid(uint DomainId, uint ServerId, ulong Sequence)
{
    public static MariaDbGtid Parse(string text) => TryParse(text, out var gtid)
        ? gtid
        : throw new FormatException($"'{text}' is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-100).");

    public static bool TryParse(ReadOnlySpan<char> text, out MariaDbGtid gtid)
    {
        gtid = default;
        text = text.Trim();
        var first = text.IndexOf('-');
        if (first <= 0) return false;
        var second = text[(first + 1)..].IndexOf('-');
        if (second <= 0) return false;
        second += first + 1;
        if (!uint.TryParse(text[..first], NumberStyles.None, CultureInfo.InvariantCulture, out var domain) ||
            !uint.TryParse(text[(first + 1)..second], NumberStyles.None, CultureInfo.InvariantCulture, out var server) ||
            !ulong.TryParse(text[(second + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            return false;
        gtid = new MariaDbGtid(domain, server, sequence);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{DomainId}-{ServerId}-{Sequence}");
}
