using System.Threading.Channels;

namespace Relay.Batching;

/// <summary>
/// Merges the source's batches into publish batches. It never waits to fill a batch: it takes the
/// first batch available and whatever else is already queued behind it, up to the row limit. While
/// the sink commits one batch the source fills the queue, so batches grow with load and stay small
/// (low latency) when the outbox is quiet.
/// </summary>
public sealed class BatchAssembler(ChannelReader<SourceBatch> reader, int maxRows)
{
    private SourceBatch? _held;

    /// <summary>The next publish batch, or null when the source has ended.</summary>
    public async ValueTask<(List<OutboxRow> Rows, SourcePosition Position, DateTimeOffset? CommitTime)?> NextAsync(CancellationToken cancellationToken)
    {
        var first = _held;
        _held = null;
        if (first is null)
        {
            if (!await reader.WaitToReadAsync(cancellationToken)) return null;
            if (!reader.TryRead(out first)) return null;
        }

        var rows = new List<OutboxRow>(Math.Max(first.Rows.Count, 16));
        rows.AddRange(first.Rows);
        var position = first.Position;
        var commitTime = first.CommitTime;
        while (rows.Count < maxRows && reader.TryRead(out var next))
        {
            if (rows.Count + next.Rows.Count > maxRows)
            {
                _held = next;
                break;
            }
            rows.AddRange(next.Rows);
            position = next.Position;
            commitTime = next.CommitTime ?? commitTime;
        }
        return (rows, position, commitTime);
    }
}
