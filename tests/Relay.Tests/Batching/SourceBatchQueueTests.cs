using Relay.Batching;

namespace Relay.Tests.Batching;

public class SourceBatchQueueTests
{
    private static readonly OutboxColumns Columns = new(["id", "payload"]);

    private static SourceBatch Batch(int rows, int payloadChars = 10, string position = "p") =>
        new(Enumerable.Range(0, rows).Select(i => new OutboxRow(Columns, [i.ToString(), new string('x', payloadChars)])).ToList(), new SourcePosition(position));

    [Fact]
    public async Task A_writer_waits_while_the_rows_would_pass_the_bound_and_goes_on_once_a_batch_is_taken()
    {
        var queue = new SourceBatchQueue(maxRows: 10, maxBytes: long.MaxValue);
        await queue.WriteAsync(Batch(6), CancellationToken.None);
        var second = queue.WriteAsync(Batch(6), CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        Assert.Equal(6, queue.Rows);

        Assert.True(queue.TryRead(out var first));
        Assert.Equal(6, first.Rows.Count);
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(6, queue.Rows);
    }

    [Fact]
    public async Task Bytes_bound_the_queue_as_well_as_rows()
    {
        var one = Batch(1, payloadChars: 1000);
        var queue = new SourceBatchQueue(maxRows: 1000, maxBytes: one.Rows[0].ApproximateBytes + 100);
        await queue.WriteAsync(one, CancellationToken.None);
        var second = queue.WriteAsync(Batch(1, payloadChars: 1000), CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        Assert.True(queue.TryRead(out _));
        await second.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_batch_larger_than_the_bound_passes_when_the_queue_is_empty()
    {
        var queue = new SourceBatchQueue(maxRows: 10, maxBytes: 10);
        await queue.WriteAsync(Batch(50), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(queue.TryRead(out var batch));
        Assert.Equal(50, batch.Rows.Count);
        Assert.Equal(0, queue.Rows);
        Assert.Equal(0, queue.Bytes);
    }

    [Fact]
    public async Task A_position_only_batch_counts_as_a_row_and_completion_carries_the_error()
    {
        var queue = new SourceBatchQueue(maxRows: 1, maxBytes: long.MaxValue);
        await queue.WriteAsync(new SourceBatch([], new SourcePosition("idle")), CancellationToken.None);
        Assert.Equal(1, queue.Rows);
        using var cancel = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.WriteAsync(Batch(1), cancel.Token).AsTask());

        queue.Complete(new InvalidOperationException("source failed"));
        Assert.True(await queue.WaitToReadAsync(CancellationToken.None));
        Assert.True(queue.TryRead(out var idle));
        Assert.Equal("idle", idle.Position.Value);
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.WaitToReadAsync(CancellationToken.None).AsTask());
    }
}
