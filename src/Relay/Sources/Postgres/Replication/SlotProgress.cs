using NpgsqlTypes;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Decides what the slot may be confirmed to, so that a restart never skips a transaction the sink has
/// not committed. The server skips, on restart, every transaction whose commit record starts before the
/// confirmed LSN; so the slot may move to the end of a transaction once the sink acknowledged it, and to
/// the connection's last received LSN (moved on by keepalives over WAL that has no outbox rows) only
/// while the reader is between transactions and everything emitted is acknowledged: inside a transaction
/// the last received LSN may already be the end of its Commit message, which is not yet acknowledged.
/// The read loop, the acknowledgements and the idle timer all go through one lock, and the LSN is handed
/// to the connection under it, so the confirmed LSN never moves backwards.
/// </summary>
internal sealed class SlotProgress
{
    private readonly Lock _lock = new();
    private readonly Action<NpgsqlLogSequenceNumber> _setStatus;
    private bool _inTransaction;
    private WalPosition? _lastEmitted;
    private WalPosition? _lastAcknowledged;
    private ulong _confirmed;

    /// <param name="confirmed">The slot's confirmed_flush_lsn when streaming starts.</param>
    /// <param name="setStatus">Hands a flush LSN to the connection; called under the lock.</param>
    public SlotProgress(NpgsqlLogSequenceNumber confirmed, Action<NpgsqlLogSequenceNumber> setStatus)
    {
        _confirmed = (ulong)confirmed;
        _setStatus = setStatus;
    }

    public NpgsqlLogSequenceNumber Confirmed
    {
        get { lock (_lock) return new NpgsqlLogSequenceNumber(_confirmed); }
    }

    /// <summary>A Begin message arrived: from here the last received LSN may point past what is acknowledged.</summary>
    public void BeginTransaction()
    {
        lock (_lock) _inTransaction = true;
    }

    /// <summary>A Commit message was handled; <paramref name="emitted"/> is the batch it produced, if any.</summary>
    public void EndTransaction(WalPosition? emitted)
    {
        lock (_lock)
        {
            if (emitted is { } position) _lastEmitted = position;
            _inTransaction = false;
        }
    }

    /// <summary>A chunk of a transaction still in progress is about to be handed out.</summary>
    public void Emitted(WalPosition position)
    {
        lock (_lock) _lastEmitted = position;
    }

    /// <summary>The sink committed everything up to <paramref name="position"/>; true when the connection got a new flush LSN.</summary>
    public bool Acknowledge(WalPosition position)
    {
        lock (_lock)
        {
            if (_lastAcknowledged is null || position.CompareTo(_lastAcknowledged.Value) > 0) _lastAcknowledged = position;
            // A partial transaction is not confirmed: a restart must see it again to finish it.
            return position.Complete && Advance((ulong)position.EndLsn);
        }
    }

    /// <summary>
    /// When idle (between transactions, everything emitted acknowledged) confirms <paramref name="lastReceived"/>,
    /// read under the lock so that the read loop cannot enter a transaction in between. True when the
    /// connection got a new flush LSN.
    /// </summary>
    public bool TryAdvanceIdle(Func<NpgsqlLogSequenceNumber> lastReceived)
    {
        lock (_lock)
        {
            if (_inTransaction) return false;
            if (_lastEmitted is { } emitted && (_lastAcknowledged is not { } acknowledged || acknowledged.CompareTo(emitted) < 0)) return false;
            return Advance((ulong)lastReceived());
        }
    }

    private bool Advance(ulong lsn)
    {
        if (lsn <= _confirmed) return false;
        _confirmed = lsn;
        _setStatus(new NpgsqlLogSequenceNumber(lsn));
        return true;
    }
}
