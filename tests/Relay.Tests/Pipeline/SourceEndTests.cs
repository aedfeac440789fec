using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Health;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Pipeline;

/// <summary>A source whose stream ends without the host asking it to has failed: the pipeline retries it, never idles alive.</summary>
public sealed class SourceEndTests
{
    private static readonly OutboxColumns Columns = new(["id", "aggregatetype", "aggregateid", "type", "payload"]);

    /// <summary>Each run streams the next of its rows after the committed position (the row's number), then ends as a killed dump would.</summary>
    private sealed class EndingSource(int rows, List<string?> startedFrom) : IOutboxSource
    {
        public Task AcquireAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async IAsyncEnumerable<SourceBatch> ReadAsync(SourcePosition? committed, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            lock (startedFrom) startedFrom.Add(committed?.Value);
            await Task.Yield();
            var next = committed is { } c ? int.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture) + 1 : 1;
            if (next > rows) yield break;
            var id = $"00000000-0000-4000-8000-{next:D12}";
            yield return new SourceBatch([new OutboxRow(Columns, [id, "order", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "Created", "{}"])],
                new SourcePosition(next.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        public Task AcknowledgeAsync(SourcePosition position, CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_source_whose_stream_ends_without_an_error_is_restarted_from_the_committed_position_and_shows_the_retry()
    {
        var store = new RecordingStore();
        var startedFrom = new List<string?>();
        var status = new SourceStatus("ending", "fake", "recording");
        using var telemetry = new RelayTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var pipeline = new SourcePipeline("ending", () => new EndingSource(3, startedFrom), () => new RecordingSink(store),
            new OutboxRouter(new OutboxTableOptions(), "ending"), maxBatchRows: 10, telemetry, NullLogger.Instance, status);

        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            lock (startedFrom)
                if (startedFrom.Count >= 5) break;
            Assert.True(DateTime.UtcNow < deadline, "the pipeline did not restart the source");
            Assert.False(running.IsCompleted, "the pipeline ended with its source");
            await Task.Delay(50);
        }
        var snapshot = status.Snapshot();
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        // Every run after the first resumed from what the sink had committed; each row went out once, in order.
        lock (startedFrom) Assert.Equal([null, "1", "2", "3", "3"], startedFrom.Take(5));
        Assert.Equal(["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003"],
            store.Messages.Select(m => m.EventId));
        Assert.Contains("ended its stream without being stopped", snapshot.LastError);
    }
}
