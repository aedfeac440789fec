using Microsoft.Extensions.Logging;
using Relay.Hosting;
using Relay.Pipeline;
using Relay.Telemetry;

namespace Relay.Health;

/// <summary>
/// Samples one source's lag probe every interval, on the probe's own connection, and stores the
/// sample in the source's status (read by the relay.source.* metrics and /readyz). It runs whether
/// this replica is active or standing by; a failing probe is reopened on the next tick.
/// </summary>
internal sealed class LagSampler(
    SourceStatus status,
    Func<ISourceLagProbe?> createProbe,
    TimeSpan interval,
    RelayTelemetry telemetry,
    SecretScrubber scrubber,
    ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ISourceLagProbe? probe = null;
        string? lastError = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested && status.State != SourceState.Failed)
            {
                try
                {
                    probe ??= createProbe();
                    if (probe is null) return;
                    using var timeout = new Deadline(interval + TimeSpan.FromSeconds(10), cancellationToken);
                    var sample = await probe.SampleAsync(timeout.Token);
                    status.Sampled(sample, null);
                    if (lastError is not null) logger.LogInformation("Source {Source}: lag probe works again", status.Name);
                    lastError = null;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    var error = scrubber.Describe(e);
                    status.Sampled(null, error);
                    telemetry.Errors.Add(1,
                        new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, status.Name),
                        new KeyValuePair<string, object?>(RelayTelemetry.ErrorTypeTag, e.GetType().Name),
                        new KeyValuePair<string, object?>(RelayTelemetry.StageTag, "lag_probe"));
                    // Once per distinct problem, not every tick.
                    if (error != lastError) logger.LogWarning("Source {Source}: lag probe failed, retrying every {Interval}: {Error}", status.Name, interval, error);
                    lastError = error;
                    if (probe is not null)
                    {
                        try { await probe.DisposeAsync(); }
                        catch (Exception disposeError) { logger.LogDebug("Source {Source}: closing the lag probe failed: {Error}", status.Name, scrubber.Describe(disposeError)); }
                        probe = null;
                    }
                }
                try { await Task.Delay(interval, cancellationToken); }
                catch (OperationCanceledException) { return; }
            }
        }
        finally
        {
            if (probe is not null)
            {
                try { await probe.DisposeAsync(); }
                catch (Exception e) { logger.LogDebug("Source {Source}: closing the lag probe failed: {Error}", status.Name, scrubber.Describe(e)); }
            }
        }
    }
}
