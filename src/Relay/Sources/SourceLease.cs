using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Relay.Sources;

/// <summary>
/// An <see cref="ISourceLease"/> held by a database session of its own for as long as the pipeline runs: a second
/// relay stands by until the first one's session ends. A crash closes the session at once; a partition closes it
/// on the server within <see cref="LeaseOptions.Timeout"/> (the session tells the server how soon to give up on a
/// silent client), and the holder, which checks its lease every <see cref="LeaseOptions.CheckInterval"/>, knows
/// within a check that it may have lost it. Each database supplies the session and the lock; disposing ends the
/// session, which releases the lock.
/// </summary>
public abstract class SourceLease<TConnection> : ISourceLease where TConnection : DbConnection
{
    private static readonly TimeSpan StandbyRetry = TimeSpan.FromSeconds(1);
    /// <summary>How long disposal waits for the session to close: over a partition a polite goodbye never arrives.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);
    private readonly ILogger _logger;

    protected SourceLease(string sourceName, LeaseOptions options, ILogger logger)
    {
        SourceName = sourceName;
        Options = options;
        _logger = logger;
    }

    protected string SourceName { get; }

    protected LeaseOptions Options { get; }

    /// <summary>The session holding (or trying for) the lock; null before the first attempt and after disposal.</summary>
    protected TConnection? Connection { get; private set; }

    /// <summary>
    /// Opens the lease's session: unpooled, since the lock lives and dies with this very session, and set up so that
    /// the server drops it within <see cref="LeaseOptions.Timeout"/> once it no longer hears from this relay.
    /// </summary>
    protected abstract Task<TConnection> OpenSessionAsync(CancellationToken cancellationToken);

    /// <summary>Takes the lock on the session without waiting; false while another session holds it.</summary>
    protected abstract Task<bool> TryLockAsync(TConnection session, CancellationToken cancellationToken);

    /// <summary>True when the lock is held by this very session (not merely by someone).</summary>
    protected abstract Task<bool> IsHeldAsync(TConnection session, CancellationToken cancellationToken);

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

    public async Task WatchAsync(Action<TimeSpan> held, CancellationToken cancellationToken)
    {
        var session = Connection ?? throw new InvalidOperationException("AcquireAsync must run first.");
        // Good news lasts until the next check should have answered, and one more interval of slack for a loaded machine.
        var lasts = 2 * Options.CheckInterval + Options.CheckTimeout;
        held(lasts);
        while (true)
        {
            await Task.Delay(Options.CheckInterval, cancellationToken);
            if (!await StillHeldAsync(session, cancellationToken))
                throw new SourceLeaseLostException($"Source '{SourceName}': the lease session no longer holds the lease (the server ended it); standing by.");
            held(lasts);
        }
    }

    /// <summary>Asks the lease session whether it still holds the lock, within the check timeout; throws <see cref="SourceLeaseLostException"/> when it cannot tell.</summary>
    protected async Task<bool> StillHeldAsync(TConnection session, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.CheckTimeout);
            // WaitAsync as well: over a partition even cancelling the command needs the server, so it may not return.
            return await IsHeldAsync(session, timeout.Token).WaitAsync(Options.CheckTimeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            throw new SourceLeaseLostException(
                $"Source '{SourceName}': the lease check got no answer within {Options.CheckTimeout.TotalSeconds:0.###} s, so the database may " +
                "already have given the lease to another relay; standing by.", e);
        }
        catch (Exception e)
        {
            // A broken or closed session (DbException, IOException, InvalidOperationException): the lock went with it.
            throw new SourceLeaseLostException($"Source '{SourceName}': the lease check failed ({e.GetType().Name}), so the lease is lost with its session; standing by.", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is { } connection)
        {
            Connection = null;
            try
            {
                await connection.DisposeAsync().AsTask().WaitAsync(CloseTimeout);
            }
            catch (Exception e)
            {
                // A session the server no longer answers: abandon it, the server drops it (and its lock) by its timeout.
                _logger.LogDebug("Source {Source}: closing the lease session failed: {Error}", SourceName, e.GetType().Name);
            }
        }
        GC.SuppressFinalize(this);
    }
}
