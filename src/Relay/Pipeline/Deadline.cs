namespace Relay.Pipeline;

/// <summary>
/// A token cancelled after a delay, as <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> does it, except that an
/// exception thrown by one of the token's registrations when it fires does not end the process. CancelAfter runs the
/// registrations on a timer thread, where such an exception is unhandled: MySqlConnector's registration (MySqlCommand.Cancel)
/// throws a SocketException when the command's session is already gone, as after a network partition. Every registration
/// still runs, and the cancelled operation still ends with its own error.
/// </summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly Timer _timer;
    private readonly TimeSpan _delay;

    /// <param name="armed">false leaves the clock stopped until <see cref="Arm"/>: an operation that mostly completes at once then
    /// never queues a timer (a fixed cost per batch that a trickle of one-row batches pays in full).</param>
    public Deadline(TimeSpan delay, CancellationToken linked = default, bool armed = true)
    {
        _delay = delay;
        _source = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _timer = new Timer(static state => Cancel((CancellationTokenSource)state!), _source, armed ? delay : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts the clock of a deadline made unarmed.</summary>
    public void Arm() => _timer.Change(_delay, Timeout.InfiniteTimeSpan);

    /// <summary>Stops the clock, so that a deadline whose token did not fire can serve the next operation.</summary>
    public void Disarm() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

    public CancellationToken Token => _source.Token;

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException)
        {
            // What a registration threw: the operation it belongs to fails on its own (its session is gone).
        }
        catch (ObjectDisposedException)
        {
            // The timer fired as the deadline was disposed: nothing waits for it any more.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _source.Dispose();
    }
}
