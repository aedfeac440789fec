using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Relay.Health;

/// <summary>/readyz: ready when every enabled source streams or is a standby (another replica holds its lease).</summary>
internal sealed class ReadinessCheck(SourceStates states) : IHealthCheck
{
    public const string SourcesKey = "sources";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var ready = states.IsReady(out var snapshots);
        var data = new Dictionary<string, object> { [SourcesKey] = snapshots };
        return Task.FromResult(ready
            ? HealthCheckResult.Healthy("Every enabled source is streaming or standing by.", data)
            : HealthCheckResult.Unhealthy(snapshots.Count == 0
                ? "No source has started yet."
                : "Not ready: " + string.Join(", ", snapshots.Where(s => s.State is not (SourceState.Streaming or SourceState.Standby)).Select(s => $"{s.Name} is {s.State.ToString().ToLowerInvariant()}")) + ".",
                data: data));
    }
}
