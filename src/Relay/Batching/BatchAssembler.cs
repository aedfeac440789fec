namespace Relay.Batching;

/// <summary>
/// Merges the source's batches into publish batches. It never waits to fill a batch: it takes the
/// first batch available and whatever else is already queued behind it, up to the row and byte limits. While
/// the sink commits one batch the source fills the queue, so batches grow with load and stay small
/// (low latency) when the outbox is quiet.
/// </summary>
public sealed class BatchAssembler(SourceBatchQueue queue, int maxRows, long maxBytes = BatchAssembler.DefaultMaxBytes)
{
    /// <summary>
    /// The most bytes of row values (estimated) one publish batch gathers from several source batches. Two such batches
    /// wait while one is published, so this bounds the relay's memory for large payloads: 16 MB let 10 KB payloads
    /// reach 214 MB peak RSS; batches of 8 MB still amortise a sink commit over hundreds of rows.
    /// </summary>
    public const long DefaultMaxBytes = 8L << 20;

    private SourceBatch? _held;

    /// <summary>The next publish batch, or null when the source has ended.</summary>
    public async ValueTask<(List<OutboxRow> Rows, SourcePosition Position, DateTimeOffset? CommitTime)?> NextAsync(CancellationToken cancellationToken)
    {
        var first = _held;
        _held = null;
        if (first is null)
        {
            if (!await queue.WaitToReadAsync(cancellationToken)) return null;
            if (!queue.TryRead(out first)) return null;
        }

        // Alone in the queue (a trickle), the source's batch is the publish batch, without a copy.
        List<OutboxRow>? rows = null;
        var count = first.Rows.Count;
        var bytes = Bytes(first);
        var position = first.Position;
        var commitTime = first.CommitTime;
        while (count < maxRows && queue.TryRead(out var next))
        {
            var nextBytes = Bytes(next);
            if (count + next.Rows.Count > maxRows || bytes + nextBytes > maxBytes)
            {
                _held = next;
                break;
            }
            if (rows is null)
            {
                rows = new List<OutboxRow>(Math.Max(count + next.Rows.Count, 16));
                rows.AddRange(first.Rows);
            }
            rows.AddRange(next.Rows);
            count += next.Rows.Count;
            bytes += nextBytes;
            position = next.Position;
            commitTime = next.CommitTime ?? commitTime;
        }
        rows ??= first.Rows as List<OutboxRow> ?? [.. first.Rows];
        return (rows, position, commitTime);
    }

    private static long Bytes(SourceBatch batch)
    {
        long bytes = 0;
        for (var i = 0; i < batch.Rows.Count; i++) bytes += batch.Rows[i].ApproximateBytes;
        return bytes;
    }
}
