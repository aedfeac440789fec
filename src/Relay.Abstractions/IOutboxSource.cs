namespace Relay;

/// <summary>
/// Reads outbox rows from one database in commit order. The pipeline drives it:
/// <see cref="AcquireAsync"/>, then the sink's committed position is handed to <see cref="ReadAsync"/>,
/// and each batch is acknowledged only after the sink committed it.
/// </summary>
public interface IOutboxSource : IAsyncDisposable
{
    /// <summary>
    /// Waits until this relay is the only reader of the source (a replication slot, an advisory lock),
    /// so that a second relay on the same source stands by instead of fencing this one in the sink.
    /// </summary>
    Task AcquireAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs while this relay reads the source and throws <see cref="SourceLeaseLostException"/> as soon as it no longer
    /// holds the lease <see cref="AcquireAsync"/> took (a check failed, or took too long); the pipeline then cancels the
    /// batch in flight and stands by. After each check that found the lease held it calls <paramref name="held"/> with how
    /// long that news lasts (until the next check is overdue): a source that reads nothing and hears nothing for longer
    /// is reported stalled. A source without a lease of its own never throws nor calls.
    /// </summary>
    Task WatchLeaseAsync(Action<TimeSpan> held, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    /// <summary>
    /// Streams batches in commit order, skipping everything <paramref name="committed"/> (the sink's
    /// committed position, null when nothing was ever committed) already covers. A source may wait
    /// inside the enumerator for the acknowledgement of the previous batch.
    /// </summary>
    IAsyncEnumerable<SourceBatch> ReadAsync(SourcePosition? committed, CancellationToken cancellationToken);

    /// <summary>
    /// Everything up to <paramref name="position"/> is committed in the sink: the source may release it
    /// (confirm the LSN, delete or mark the rows). Called in position order.
    /// </summary>
    Task AcknowledgeAsync(SourcePosition position, CancellationToken cancellationToken);
}
