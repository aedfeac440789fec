namespace Relay.Bench.Infrastructure;

/// <summary>A writer that commits single-row outbox transactions at a fixed offered rate; each row's payload carries its insert time ("t", µs since the epoch, the database's clock).</summary>
public interface IRateWriter
{
    /// <summary>Writes at <paramref name="rate"/> rows/s for <paramref name="duration"/>; returns a description of the writer.</summary>
    Task<string> RunAsync(string run, int rate, TimeSpan duration, CancellationToken cancellationToken);
}
