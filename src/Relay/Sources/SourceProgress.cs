using System.Collections.Concurrent;

namespace Relay.Sources;

/// <summary>
/// The position each source of this process last knows committed in the sink, for its lag probe: a database that
/// keeps no record of a reader's progress (a binlog has no replication slot) cannot be asked for it. One per host
/// (a singleton per position type); the source records, the probe reads.
/// </summary>
public sealed class SourceProgress<TPosition> where TPosition : struct
{
    private readonly ConcurrentDictionary<string, Entry> _sources = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="position"/> is committed in the sink, recorded by the source holding the lease on the database
    /// session <paramref name="leaseSession"/>: while another session holds the lease, the progress is another relay's.
    /// </summary>
    public void Record(string sourceName, TPosition position, long leaseSession) => _sources[sourceName] = new Entry(position, leaseSession);

    public bool TryGet(string sourceName, out Entry entry) => _sources.TryGetValue(sourceName, out entry);

    /// <summary>A committed position and the lease session of the source that recorded it.</summary>
    public readonly record struct Entry(TPosition Position, long LeaseSession);
}
