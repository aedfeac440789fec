using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Relay.Batching;
using Relay.Health;
using Relay.Hosting;
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
    ILogger logger,
    SourceStatus? status = null,
    SecretScrubber? scrubber = null)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(15);

    public string SourceName => sourceName;

    /// <summary>The sink's messaging.system attribute value (kafka, redis).</summary>
    public string MessagingSystem { get; init; } = "unknown";

    /// <summary>Where the pipeline is (acquire, initialize, read, publish, acknowledge), for errors by stage.</summary>
    private volatile string _stage = Stages.Acquire;

    private static class Stages
    {
        public const string Acquire = "acquire";
        public const string Initialize = "initialize";
        public const string Read = "read";
        public const string Publish = "publish";
        public const string Acknowledge = "acknowledge";
    }

    private string Describe(Exception e) => scrubber?.Describe(e) ?? $"{e.GetType().Name}: {e.Message}";

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
                status?.Stopped();
                return;
            }
            catch (RelayFatalException e)
            {
                CountError(e);
                status?.Failed(Describe(e));
                throw;
            }
            catch (SinkFencedException e)
            {
                CountError(e);
                status?.Retrying(Describe(e));
                logger.LogWarning("Source {Source}: another relay took over the sink ({Reason}); standing by and starting over", sourceName, scrubber?.Scrub(e.Message) ?? e.Message);
            }
            catch (Exception e)
            {
                CountError(e);
                status?.Retrying(Describe(e));
                logger.LogError("Source {Source}: pipeline failed in stage {Stage}; restarting from the committed position in {Backoff}: {Error}",
                    sourceName, _stage, backoff, scrubber?.Scrub(e.ToString()) ?? e.ToString());
            }
            telemetry.PipelineRestarts.Add(1, new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, sourceName));
            if (Stopwatch.GetElapsedTime(started) > MaxBackoff) backoff = TimeSpan.FromMilliseconds(500);
            try { await Task.Delay(backoff, cancellationToken); }
            catch (OperationCanceledException) { status?.Stopped(); return; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var source = createSource();
        await using var sink = createSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        _stage = Stages.Acquire;
        status?.Starting();
        await source.AcquireAsync(stop.Token);
        status?.Acquired();
        _stage = Stages.Initialize;
        var committed = await sink.InitializeAsync(sourceName, stop.Token);
        status?.Streaming();
        _stage = Stages.Read;
        logger.LogInformation("Source {Source}: resuming after committed position {Position}", sourceName, committed?.Value ?? "(none)");

        // Room for two full batches: the next one is read while the sink commits this one.
        var queue = new SourceBatchQueue(2L * maxBatchRows, 2 * BatchAssembler.DefaultMaxBytes);
        var reading = ReadAsync(source, committed, queue, stop.Token);
        try
        {
            await PublishAsync(source, sink, new BatchAssembler(queue, maxBatchRows), stop.Token);
        }
        finally
        {
            stop.Cancel();
            try { await reading; }
            catch (OperationCanceledException) { }
        }
        await reading;
    }

    private static async Task ReadAsync(IOutboxSource source, SourcePosition? committed, SourceBatchQueue queue, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in source.ReadAsync(committed, cancellationToken).WithCancellation(cancellationToken))
            {
                // A batch without rows still moves the committed position (a quiet outbox on a busy log).
                await queue.WriteAsync(batch, cancellationToken);
            }
            queue.Complete();
        }
        catch (Exception e)
        {
            queue.Complete(e);
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
                if (messages[i].IsDeadLetter)
                {
                    deadLetters++;
                    logger.LogWarning("Source {Source}: event {EventId} sent to the dead-letter topic: {Reason}",
                        sourceName, messages[i].EventId, string.Join("; ", messages[i].DeadLetterReasons));
                }
            }

            _stage = Stages.Publish;
            await sink.PublishAsync(messages, position, cancellationToken);
            status?.Published();
            _stage = Stages.Acknowledge;
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
            _stage = Stages.Read;
            logger.LogDebug("Source {Source}: committed {Count} messages up to {Position}", sourceName, messages.Length, position.Value);
        }
    }

    private void CountError(Exception e) =>
        telemetry.Errors.Add(1,
            new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, sourceName),
            new KeyValuePair<string, object?>(RelayTelemetry.ErrorTypeTag, e.GetType().Name),
            new KeyValuePair<string, object?>(RelayTelemetry.StageTag, _stage));
}
