using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Relay.Sources;

/// <summary>
/// An <see cref="ISourceLease"/> held by a database session of its own for as long as the pipeline runs: a second
/// relay stands by until the first one's session ends (a crash closes it at once). Each database supplies the
/// session and the lock; disposing ends the session, which releases the lock.
/// </summary>
public abstract class SourceLease<TConnection> : ISourceLease where TConnection : DbConnection
{
    private static readonly TimeSpan StandbyRetry = TimeSpan.FromSeconds(1);
    private readonly ILogger _logger;

    protected SourceLease(string sourceName, ILogger logger)
    {
        SourceName = sourceName;
        _logger = logger;
    }

    protected string SourceName { get; }

    /// <summary>The session holding (or trying for) the lock; null before the first attempt and after disposal.</summary>
    protected TConnection? Connection { get; private set; }

    /// <summary>Opens the lease's session: unpooled, since the lock lives and dies with this very session, and kept alive.</summary>
    protected abstract Task<TConnection> OpenSessionAsync(CancellationToken cancellationToken);

    /// <summary>Takes the lock on the session without waiting; false while another session holds it.</summary>
    protected abstract Task<bool> TryLockAsync(TConnection session, CancellationToken cancellationToken);

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        var waiting = false;
        while (true)
        {
            Connection ??= await OpenSessionAsync(cancellationToken);
            if (await TryLockAsync(Connection, cancellationToken))
            {
                if (waiting) _logger.LogInformation("Source {Source}: took over from the other relay", SourceName);
                return;
            }
            if (!waiting)
            {
                _logger.LogInformation("Source {Source}: another relay is reading this source; standing by", SourceName);
                waiting = true;
            }
            await Task.Delay(StandbyRetry, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null) await Connection.DisposeAsync();
        Connection = null;
        GC.SuppressFinalize(this);
    }
}
