using System.Threading.Channels;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// Enumerates a source in the background, as the pipeline does, so a test can take batches with a timeout.
/// Batches without rows (the position moving on while the outbox is idle) are kept apart, for <see cref="NextIdleAsync"/>.
/// </summary>
internal sealed class SourceReader : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly Channel<SourceBatch> _batches = Channel.CreateUnbounded<SourceBatch>();
    private readonly Channel<SourceBatch> _idle = Channel.CreateUnbounded<SourceBatch>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public SourceReader(IOutboxSource source, SourcePosition? committed)
    {
        Source = source;
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in source.ReadAsync(committed, _stop.Token))
                    await (batch.Rows.Count == 0 ? _idle : _batches).Writer.WriteAsync(batch);
                _batches.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _batches.Writer.TryComplete(e);
            }
        });
    }

    public IOutboxSource Source { get; }

    /// <summary>The next batch without rows whose position satisfies <paramref name="wanted"/>.</summary>
    public async Task<SourceBatch> NextIdleAsync(Func<SourcePosition, bool> wanted, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait);
        try
        {
            while (true)
            {
                var batch = await _idle.Reader.ReadAsync(cts.Token);
                if (wanted(batch.Position)) return batch;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException("No idle position arrived in time.");
        }
    }

    public async Task<SourceBatch> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait);
        try
        {
            return await _batches.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException("No batch arrived in time.");
        }
    }

    /// <summary>Asserts that nothing more arrives within <paramref name="quiet"/>.</summary>
    public async Task ExpectNothingAsync(TimeSpan quiet)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            var batch = await _batches.Reader.ReadAsync(cts.Token);
            Assert.Fail($"Unexpected batch of {batch.Rows.Count} rows at {batch.Position}.");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
    }

    public async Task<Exception> FailureAsync()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var cts = new CancellationTokenSource(Wait);
            while (await _batches.Reader.WaitToReadAsync(cts.Token)) _batches.Reader.TryRead(out _);
        });
        return failed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _reading.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (OperationCanceledException) { }
        await Source.DisposeAsync();
        _stop.Dispose();
    }
}
