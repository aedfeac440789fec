namespace Relay.Sources;

/// <summary>
/// Makes one relay the only reader of a source (a database lock held by a session of its own), so that a
/// second relay on the same source stands by instead of fencing the first in the sink. Disposing releases it.
/// </summary>
public interface ISourceLease : IAsyncDisposable
{
    /// <summary>Waits until this relay holds the lease.</summary>
    Task AcquireAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Checks the held lease every check interval until cancelled, calling <paramref name="held"/> after each good check
    /// (with how long until the next one is overdue); throws <see cref="SourceLeaseLostException"/> once it is lost.
    /// </summary>
    Task WatchAsync(Action<TimeSpan> held, CancellationToken cancellationToken);
}
