namespace Relay.Binlog.Gtids;

/// <summary>
/// A MariaDB replication position as @@gtid_current_pos and @slave_connect_state write it: the last GTID of each
/// replication domain, comma-separated ("0-1-100,1-2-5"), one entry per domain. Printed in domain order.
/// </summary>
public sealed class MariaDbGtidPosition
{
    private readonly SortedDictionary<uint, MariaDbGtid> _byDomain = new();

    public int Count => _byDomain.Count;

    public IEnumerable<MariaDbGtid> Gtids => _byDomain.Values;

    public static MariaDbGtidPosition Parse(string text)
    {
        var position = new MariaDbGtidPosition();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                if (text.Trim().Length == 0) break;
                throw new FormatException($"'{text}' has an empty entry.");
            }
            var gtid = MariaDbGtid.Parse(part);
            if (!position._byDomain.TryAdd(gtid.DomainId, gtid))
                throw new FormatException($"'{text}' has domain {gtid.DomainId} twice (MariaDB allows one GTID per domain).");
        }
        return position;
    }

    /// <summary>Records <paramref name="gtid"/> as its domain's last transaction, replacing what the domain had.</summary>
    public void Update(MariaDbGtid gtid) => _byDomain[gtid.DomainId] = gtid;

    public bool TryGet(uint domainId, out MariaDbGtid gtid) => _byDomain.TryGetValue(domainId, out gtid);

    public MariaDbGtidPosition Clone()
    {
        var copy = new MariaDbGtidPosition();
        foreach (var (domain, gtid) in _byDomain) copy._byDomain[domain] = gtid;
        return copy;
    }

    public override string ToString() => string.Join(",", _byDomain.Values);
}
