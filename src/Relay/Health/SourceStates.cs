using System.Collections.Concurrent;

namespace Relay.Health;

/// <summary>
/// The one place that knows every enabled source's status: pipelines and lag samplers write it,
/// /readyz and the relay.pipeline.* metrics read it.
/// </summary>
public sealed class SourceStates
{
    private readonly ConcurrentDictionary<string, SourceStatus> _sources = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers a source (once, when its pipeline is created) and returns its status.</summary>
    public SourceStatus Register(string name, string kind, string sink) =>
        _sources.GetOrAdd(name, _ => new SourceStatus(name, kind, sink));

    public IReadOnlyList<SourceStatus> All => _sources.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>Ready when every enabled source streams or is a standby; false while none is registered yet.</summary>
    public bool IsReady(out IReadOnlyList<SourceStatusSnapshot> snapshots)
    {
        snapshots = All.Select(s => s.Snapshot()).ToList();
        return snapshots.Count > 0 && snapshots.All(s => s.State is SourceState.Streaming or SourceState.Standby);
    }

    /// <summary>True when there are sources and every one of them has failed for good.</summary>
    public bool AllFailed => !_sources.IsEmpty && _sources.Values.All(s => s.State == SourceState.Failed);
}
