using System.Threading.Channels;

namespace Relay.Batching;

/// <summary>
/// The queue between a source's reading task and its publishing loop, bounded by the rows and bytes it holds rather
/// than by a count of batches: batches range from one row to MaxBatchRows, so a count bound lets a large transaction
/// (chunks of MaxBatchRows) pile up hundreds of megabytes. The reader keeps reading while the sink commits, up to the
/// bound; a batch larger than the bound on its own still passes when the queue is empty, so nothing can deadlock.
/// </summary>
public sealed class SourceBatchQueue
{
    private readonly Channel<SourceBatch> _channel = Channel.CreateUnbounded<SourceBatch>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private readonly Lock _gate = new();
    private readonly long _maxRows;
    private readonly long _maxBytes;
    private long _rows;
    private long _bytes;
    private TaskCompletionSource? _room;

    public SourceBatchQueue(long maxRows, long maxBytes)
    {
        _maxRows = Math.Max(1, maxRows);
        _maxBytes = Math.Max(1, maxBytes);
    }

    /// <summary>Rows currently queued (for tests and diagnostics).</summary>
    public long Rows { get { lock (_gate) return _rows; } }

    /// <summary>Bytes currently queued (estimated, see <see cref="OutboxRow.ApproximateBytes"/>).</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    /// <summary>Queues a batch once there is room for it; an empty batch (a position only) counts as one row.</summary>
    public async ValueTask WriteAsync(SourceBatch batch, CancellationToken cancellationToken)
    {
        var (rows, bytes) = Cost(batch);
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_rows == 0 || (_rows + rows <= _maxRows && _bytes + bytes <= _maxBytes))
                {
                    _rows += rows;
                    _bytes += bytes;
                    break;
                }
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _room.Task;
            }
            await wait.WaitAsync(cancellationToken);
        }
        if (!_channel.Writer.TryWrite(batch)) throw new ChannelClosedException();
    }

    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the next batch, if one is queued, and frees its room.</summary>
    public bool TryRead(out SourceBatch batch)
    {
        if (!_channel.Reader.TryRead(out batch!)) return false;
        var (rows, bytes) = Cost(batch);
        TaskCompletionSource? room;
        lock (_gate)
        {
            _rows -= rows;
            _bytes -= bytes;
            room = _room;
            _room = null;
        }
        room?.TrySetResult();
        return true;
    }

    private static (long Rows, long Bytes) Cost(SourceBatch batch)
    {
        var rows = batch.Rows;
        long bytes = 64;
        for (var i = 0; i < rows.Count; i++) bytes += rows[i].ApproximateBytes;
        return (Math.Max(1, rows.Count), bytes);
    }
}
