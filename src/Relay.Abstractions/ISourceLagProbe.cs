namespace Relay;

/// <summary>
/// Measures how far a source's committed progress trails its database, on a connection of its own.
/// The host samples it periodically for every enabled source, also on a standby replica, and never
/// from inside the pipeline, so a slow probe cannot hold up publishing. Created by
/// <see cref="IOutboxSourceFactory.CreateLagProbe"/>; a kind without one reports no lag.
/// </summary>
public interface ISourceLagProbe : IAsyncDisposable
{
    /// <summary>One sample. Throws when the database cannot be asked; the host logs it (rate-limited) and tries again later.</summary>
    Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken);
}
