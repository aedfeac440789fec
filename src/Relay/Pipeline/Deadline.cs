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

    public Deadline(TimeSpan delay, CancellationToken linked = default)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _timer = new Timer(static state => Cancel((CancellationTokenSource)state!), _source, delay, Timeout.InfiniteTimeSpan);
    }

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
