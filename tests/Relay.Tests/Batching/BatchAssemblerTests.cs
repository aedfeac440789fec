using Relay.Batching;

namespace Relay.Tests.Batching;

public class BatchAssemblerTests
{
    private static readonly OutboxColumns Columns = new(["id", "payload"]);

    private static SourceBatch Batch(string position, params string[] ids) =>
        new(ids.Select(id => new OutboxRow(Columns, [id, "x"])).ToList(), new SourcePosition(position));

    private static string[] Ids(List<OutboxRow> rows) => rows.Select(r => (string)r["id"]!).ToArray();

    [Fact]
    public async Task Queued_batches_merge_in_order_up_to_the_row_bound_and_the_next_one_waits_for_the_following_batch()
    {
        var queue = new SourceBatchQueue(100, long.MaxValue);
        await queue.WriteAsync(Batch("p1", "a", "b"), CancellationToken.None);
        await queue.WriteAsync(Batch("p2", "c"), CancellationToken.None);
        await queue.WriteAsync(Batch("p3", "d", "e"), CancellationToken.None);
        var assembler = new BatchAssembler(queue, maxRows: 4);

        var first = await assembler.NextAsync(CancellationToken.None);
        Assert.Equal(["a", "b", "c"], Ids(first!.Value.Rows));
        Assert.Equal("p2", first.Value.Position.Value);

        var second = await assembler.NextAsync(CancellationToken.None);
        Assert.Equal(["d", "e"], Ids(second!.Value.Rows));
        Assert.Equal("p3", second.Value.Position.Value);
    }

    [Fact]
    public async Task A_batch_alone_in_the_queue_is_published_as_the_source_made_it()
    {
        var queue = new SourceBatchQueue(100, long.MaxValue);
        var alone = Batch("p1", "a");
        await queue.WriteAsync(alone, CancellationToken.None);
        var assembler = new BatchAssembler(queue, maxRows: 100);

        var next = await assembler.NextAsync(CancellationToken.None);

        Assert.Same(alone.Rows, next!.Value.Rows);
        Assert.Equal("p1", next.Value.Position.Value);
    }

    [Fact]
    public async Task Merging_never_changes_the_batches_the_source_handed_over()
    {
        var queue = new SourceBatchQueue(100, long.MaxValue);
        var one = Batch("p1", "a");
        var two = Batch("p2", "b");
        await queue.WriteAsync(one, CancellationToken.None);
        await queue.WriteAsync(two, CancellationToken.None);

        var next = await new BatchAssembler(queue, maxRows: 100).NextAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], Ids(next!.Value.Rows));
        Assert.Equal(["a"], one.Rows.Select(r => (string)r["id"]!));
        Assert.Equal("p2", next.Value.Position.Value);
    }
}
