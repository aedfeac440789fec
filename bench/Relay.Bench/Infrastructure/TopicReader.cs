namespace Relay.Bench.Infrastructure;

/// <summary>A consumer loop on a thread of its own that counts visible messages and hands each one (with the time it was seen) to a callback.</summary>
public abstract class TopicReader : IVisibleMessages
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _count;
    private long _firstSeenAt;
    private Exception? _failure;

    protected TopicReader(Action<ReadOnlyMemory<byte>, long>? onMessage)
    {
        OnMessage = onMessage;
        _thread = new Thread(Loop) { IsBackground = true, Name = GetType().Name };
    }

    protected Action<ReadOnlyMemory<byte>, long>? OnMessage { get; }

    public long Count => Volatile.Read(ref _count);

    public long FirstSeenAt => Volatile.Read(ref _firstSeenAt);

    protected void Begin() => _thread.Start();

    private void Loop()
    {
        try
        {
            while (!_stop.IsCancellationRequested) Poll(_stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    /// <summary>One read: adds what became visible through <see cref="Seen"/>; waits briefly when nothing did.</summary>
    protected abstract void Poll(CancellationToken cancellationToken);

    protected void Seen(long messages)
    {
        if (messages <= 0) return;
        if (Volatile.Read(ref _firstSeenAt) == 0) Volatile.Write(ref _firstSeenAt, BenchClock.Now);
        Interlocked.Add(ref _count, messages);
    }

    protected void SetCount(long count)
    {
        if (count > 0 && Volatile.Read(ref _firstSeenAt) == 0) Volatile.Write(ref _firstSeenAt, BenchClock.Now);
        Volatile.Write(ref _count, count);
    }

    public async Task<long> WaitForAsync(long expected, TimeSpan stallTimeout, Func<string>? onStall = null, Action? onTick = null)
    {
        var lastCount = -1L;
        var lastMove = BenchClock.Now;
        var lastTick = BenchClock.Now;
        while (true)
        {
            if (_failure is not null) throw new InvalidOperationException("Reading the sink failed.", _failure);
            var count = Count;
            if (count >= expected) return BenchClock.Now;
            if (count != lastCount)
            {
                lastCount = count;
                lastMove = BenchClock.Now;
            }
            else if (BenchClock.SecondsSince(lastMove) > stallTimeout.TotalSeconds)
            {
                throw new TimeoutException($"Only {count} of {expected} messages became visible; nothing moved for {stallTimeout.TotalSeconds:0} s. {onStall?.Invoke()}");
            }
            if (BenchClock.SecondsSince(lastTick) > 0.5)
            {
                onTick?.Invoke();
                lastTick = BenchClock.Now;
            }
            await Task.Delay(2);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _thread.Join();
        DisposeReader();
    }

    protected virtual void DisposeReader()
    {
    }
}
