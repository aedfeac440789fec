namespace Relay.Health;

/// <summary>
/// One source's live status: its pipeline state, whether this replica is the active one, the last
/// error and publish, and the latest lag sample. Written by the pipeline and the lag sampler, read
/// by /readyz and the metrics; every member is safe to use from any thread.
/// </summary>
public sealed class SourceStatus(string name, string kind, string sink)
{
    private readonly Lock _lock = new();
    private SourceState _state = SourceState.Starting;
    private long? _heardUntil;
    private TimeSpan _heardLasts;
    private DateTimeOffset _since = DateTimeOffset.UtcNow;
    private bool _acquiring;
    private bool _active;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private long? _lastPublishTimestamp;
    private DateTimeOffset? _lastPublishAt;
    private SourceLagSample? _lag;
    private DateTimeOffset? _lagAt;
    private string? _lagError;

    public string Name => name;
    public string Kind => kind;
    public string Sink => sink;

    public SourceState State { get { lock (_lock) return CurrentState; } }

    /// <summary>True while this replica holds the source's lease and may publish (and is not stalled, unable to tell).</summary>
    public bool Active { get { lock (_lock) return _active && CurrentState != SourceState.Stalled; } }

    /// <summary>Streaming turns into stalled once the last news from the database is overdue; every other state is as set.</summary>
    private SourceState CurrentState =>
        _state == SourceState.Streaming && _heardUntil is { } until && System.Diagnostics.Stopwatch.GetTimestamp() > until
            ? SourceState.Stalled
            : _state;

    /// <summary>
    /// News from the database: a lease check found the lease held (<paramref name="lasts"/> is how long until the next
    /// one is overdue), or, with <paramref name="lasts"/> null, the source read a batch (lasting as long as the last check's).
    /// </summary>
    public void Heard(TimeSpan? lasts = null)
    {
        lock (_lock)
        {
            if (lasts is { } l) _heardLasts = l;
            if (_heardLasts <= TimeSpan.Zero) return; // a source without lease checks is never reported stalled
            _heardUntil = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(_heardLasts.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        }
    }

    /// <summary>Starting: the pipeline is connecting or waiting for the source's lease.</summary>
    public void Starting()
    {
        lock (_lock)
        {
            _acquiring = true;
            _active = false;
            _heardUntil = null;
            // The next lag sample tells whether another relay holds the lease (a standby) or not (a start-up);
            // an older sample may have seen this relay's own lease.
            Set(SourceState.Starting);
        }
    }

    /// <summary>The lease is ours: this replica is the active one from now on.</summary>
    public void Acquired()
    {
        lock (_lock)
        {
            _acquiring = false;
            _active = true;
        }
    }

    /// <summary>The committed position is read and the source streams.</summary>
    public void Streaming()
    {
        lock (_lock) Set(SourceState.Streaming);
    }

    /// <summary>
    /// The lease is lost (the server ended its session, or a check went unanswered): this replica stops publishing and
    /// stands by to win it again. <paramref name="reason"/> must hold no secret.
    /// </summary>
    public void LeaseLost(string reason)
    {
        lock (_lock)
        {
            _acquiring = true;
            _active = false;
            _heardUntil = null;
            _lastError = reason;
            _lastErrorAt = DateTimeOffset.UtcNow;
            Set(SourceState.Starting);
        }
    }

    /// <summary>The pipeline failed; it starts over after a backoff. <paramref name="error"/> must hold no secret.</summary>
    public void Retrying(string error)
    {
        lock (_lock)
        {
            _acquiring = false;
            _active = false;
            _lastError = error;
            _lastErrorAt = DateTimeOffset.UtcNow;
            Set(SourceState.Retrying);
        }
    }

    /// <summary>A problem retrying cannot fix. <paramref name="error"/> must hold no secret.</summary>
    public void Failed(string error)
    {
        lock (_lock)
        {
            _acquiring = false;
            _active = false;
            _lastError = error;
            _lastErrorAt = DateTimeOffset.UtcNow;
            Set(SourceState.Failed);
        }
    }

    public void Stopped()
    {
        lock (_lock)
        {
            _acquiring = false;
            _active = false;
            if (_state != SourceState.Failed) Set(SourceState.Stopped);
        }
    }

    /// <summary>A batch was committed to the sink.</summary>
    public void Published()
    {
        lock (_lock)
        {
            _lastPublishTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            _lastPublishAt = DateTimeOffset.UtcNow;
        }
    }

    /// <summary>Seconds since this replica last committed a batch for the source; null before the first.</summary>
    public double? SecondsSinceLastPublish
    {
        get
        {
            lock (_lock)
                return _lastPublishTimestamp is { } t ? System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalSeconds : null;
        }
    }

    /// <summary>A new lag sample (or the reason sampling failed, without secrets).</summary>
    public void Sampled(SourceLagSample? sample, string? error)
    {
        lock (_lock)
        {
            if (sample is not null)
            {
                _lag = sample;
                _lagAt = DateTimeOffset.UtcNow;
            }
            _lagError = error;
            if (_acquiring && _state is SourceState.Starting or SourceState.Standby)
                Set(sample?.LeaseHeld == true ? SourceState.Standby : SourceState.Starting);
        }
    }

    public SourceLagSample? Lag { get { lock (_lock) return _lag; } }

    /// <summary>A consistent copy for reporting.</summary>
    public SourceStatusSnapshot Snapshot()
    {
        lock (_lock)
        {
            var state = CurrentState;
            return new SourceStatusSnapshot(name, kind, sink, state, _since, _active && state != SourceState.Stalled, _lastError, _lastErrorAt, _lastPublishAt,
                _lag, _lagAt, _lagError);
        }
    }

    private void Set(SourceState state)
    {
        if (_state == state) return;
        _state = state;
        _since = DateTimeOffset.UtcNow;
    }
}
