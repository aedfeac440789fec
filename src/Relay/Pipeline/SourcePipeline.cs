using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Relay.Batching;
using Relay.Routing;
using Relay.Telemetry;

namespace Relay.Pipeline;

/// <summary>
/// One source's pipeline: source → batch → route → publish (messages and position in one sink
/// commit) → acknowledge the source. Any failure tears the whole pipeline down and starts it
/// again from the sink's committed position, which is what makes a crash at any instant safe:
/// the source is acknowledged only after the commit, and on start what the commit covers is skipped.
/// </summary>
public sealed class SourcePipeline(
    string sourceName,
    Func<IOutboxSource> createSource,
    Func<IOutboxSink> createSink,
    OutboxRouter router,
    int maxBatchRows,
    RelayTelemetry telemetry,
    ILogger logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(15);

    public string SourceName => sourceName;

    /// <summary>Runs until cancelled; throws <see cref="RelayFatalException"/> when retrying cannot help.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await RunOnceAsync(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RelayFatalException)
            {
                throw;
            }
            catch (SinkFencedException e)
            {
                logger.LogWarning("Source {Source}: another relay took over the sink ({Reason}); standing by and starting over", sourceName, e.Message);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Source {Source}: pipeline failed; restarting from the committed position in {Backoff}", sourceName, backoff);
            }
            telemetry.PipelineRestarts.Add(1, new KeyValuePair<string, object?>("source", sourceName));
            if (Stopwatch.GetElapsedTime(started) > MaxBackoff) backoff = TimeSpan.FromMilliseconds(500);
            try { await Task.Delay(backoff, cancellationToken); }
            catch (OperationCanceledException) { return; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var source = createSource();
        await using var sink = createSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        await source.AcquireAsync(stop.Token);
        var committed = await sink.InitializeAsync(sourceName, stop.Token);
        logger.LogInformation("Source {Source}: resuming after committed position {Position}", sourceName, committed?.Value ?? "(none)");

        var queue = Channel.CreateBounded<SourceBatch>(new BoundedChannelOptions(Math.Max(64, maxBatchRows))
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var reading = ReadAsync(source, committed, queue.Writer, stop.Token);
        try
        {
            await PublishAsync(source, sink, new BatchAssembler(queue.Reader, maxBatchRows), stop.Token);
        }
        finally
        {
            stop.Cancel();
            try { await reading; }
            catch (OperationCanceledException) { }
        }
        await reading;
    }

    private static async Task ReadAsync(IOutboxSource source, SourcePosition? committed, ChannelWriter<SourceBatch> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in source.ReadAsync(committed, cancellationToken).WithCancellation(cancellationToken))
            {
                // A batch without rows still moves the committed position (a quiet outbox on a busy log).
                await writer.WriteAsync(batch, cancellationToken);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    private async Task PublishAsync(IOutboxSource source, IOutboxSink sink, BatchAssembler batches, CancellationToken cancellationToken)
    {
        var tag = new KeyValuePair<string, object?>("source", sourceName);
        while (await batches.NextAsync(cancellationToken) is var (rows, position, _))
        {
            var started = Stopwatch.GetTimestamp();
            using var activity = RelayTelemetry.ActivitySource.StartActivity("relay.publish_batch");
            activity?.SetTag("relay.source", sourceName);
            activity?.SetTag("relay.batch.size", rows.Count);

            var messages = new OutboxMessage[rows.Count];
            var deadLetters = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                messages[i] = router.Route(rows[i]);
                if (router.IsDeadLetter(messages[i]))
                {
                    deadLetters++;
                    logger.LogWarning("Source {Source}: event {EventId} sent to the dead-letter topic: {Reason}",
                        sourceName, messages[i].EventId, DeadLetterReason(messages[i]));
                }
            }

            await sink.PublishAsync(messages, position, cancellationToken);
            var commitSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            // Only now is it safe to let the source forget these rows. Shutdown does not cut this short:
            // the batch is committed, and finishing the acknowledgement spares the next start a redo.
            using (var acknowledgeTimeout = new CancellationTokenSource(AcknowledgeTimeout))
                await source.AcknowledgeAsync(position, acknowledgeTimeout.Token);

            telemetry.MessagesPublished.Add(messages.Length - deadLetters, tag);
            if (deadLetters > 0) telemetry.MessagesDeadLettered.Add(deadLetters, tag);
            telemetry.BatchesCommitted.Add(1, tag);
            telemetry.BatchSize.Record(messages.Length, tag);
            telemetry.CommitDuration.Record(commitSeconds, tag);
            logger.LogDebug("Source {Source}: committed {Count} messages up to {Position}", sourceName, messages.Length, position.Value);
        }
    }

    private static string DeadLetterReason(OutboxMessage message)
    {
        foreach (var (name, value) in message.Headers)
        {
            if (name == OutboxRouter.ErrorHeader) return System.Text.Encoding.UTF8.GetString(value);
        }
        return "unknown";
    }
}
