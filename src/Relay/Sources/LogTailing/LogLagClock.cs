namespace Relay.Sources.LogTailing;

/// <summary>
/// Estimates how long ago a database's log went past a position, for log-tailing lag probes: the log keeps no
/// timestamps a reader's position can be looked up by, so the probe remembers when it saw the log's end where.
/// Positions are bytes along the log (a WAL LSN, binlog files laid end to end).
/// </summary>
internal sealed class LogLagClock
{
    /// <summary>How much history the estimate keeps (samples of the log's end and when they were seen).</summary>
    private const int HistorySize = 4096;

    private readonly Queue<(DateTimeOffset At, ulong Position)> _history = new();

    /// <summary>The log's end was at <paramref name="end"/> at <paramref name="at"/>.</summary>
    public void Observe(DateTimeOffset at, ulong end)
    {
        if (_history.Count > 0 && _history.Last().Position == end) return; // no new log: the older sample says when it got here
        _history.Enqueue((at, end));
        while (_history.Count > HistorySize) _history.Dequeue();
    }

    /// <summary>Forgets the history, when positions are no longer comparable with the ones seen before.</summary>
    public void Reset() => _history.Clear();

    /// <summary>
    /// Seconds since the log went past <paramref name="confirmed"/>: 0 when it is at the log's end (or nothing was
    /// observed); else the time is interpolated between the last sample at or below the confirmed position and the
    /// first one past it (as PostgreSQL's own replication lag tracker does), or, when every sample is past it, the age
    /// of the oldest sample (a lower bound).
    /// </summary>
    public double SecondsBehind(DateTimeOffset now, ulong confirmed)
    {
        if (_history.Count == 0 || confirmed >= _history.Last().Position) return 0;
        (DateTimeOffset At, ulong Position)? below = null;
        foreach (var sample in _history)
        {
            if (sample.Position <= confirmed)
            {
                below = sample;
                continue;
            }
            var passedAt = below is { } b
                ? b.At + (sample.At - b.At) * ((double)(confirmed - b.Position) / (sample.Position - b.Position))
                : sample.At;
            return Math.Max(0, (now - passedAt).TotalSeconds);
        }
        return 0;
    }
}
