using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
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
/// While it holds the source's lease the source checks it; once lost, the run is cancelled (the batch in flight
/// too: only the sink's fencing can let a commit already sent finish) and the pipeline stands by to win it again.
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
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(500);
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

    /// <summary>
    /// Runs until cancelled; throws <see cref="RelayFatalException"/> when retrying cannot help. Every other
    /// failure restarts the pipeline from the committed position after an exponential backoff with jitter
    /// (Polly's retry strategy: 0.5 s doubling up to 30 s); a run that streamed for longer than that
    /// before failing starts the backoff over.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsRetryable(e, cancellationToken)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = InitialBackoff,
            MaxDelay = MaxBackoff,
            OnRetry = args =>
            {
                Restarting(args.Outcome.Exception!, args.RetryDelay);
                return default;
            },
        }).Build();

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await retry.ExecuteAsync(RunAttemptAsync, cancellationToken);
                    return;
                }
                catch (HealthyRunEnded ended)
                {
                    // Not a crash loop: restart at once, and let a new failure chain back off from the start.
                    Restarting(ended.InnerException!, TimeSpan.Zero);
                }
                catch (SourceLeaseLostException lost)
                {
                    // Not a failure of this relay: stand by at once (acquiring waits for the lease as a standby does).
                    LeaseLost(lost);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (RelayFatalException e)
        {
            CountError(e);
            status?.Failed(Describe(e));
            throw;
        }
        finally
        {
            status?.Stopped();
        }
    }

    private static bool IsRetryable(Exception e, CancellationToken cancellationToken) =>
        e is not (RelayFatalException or HealthyRunEnded or SourceLeaseLostException) && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private async ValueTask RunAttemptAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await RunOnceAsync(cancellationToken);
        }
        catch (Exception e) when (IsRetryable(e, cancellationToken) && status?.State == SourceState.Streaming && Stopwatch.GetElapsedTime(started) > MaxBackoff)
        {
            throw new HealthyRunEnded(e);
        }
    }

    /// <summary>The last failure logged with its stack trace (stage and description), so a retry loop over one cause logs it once.</summary>
    private string? _lastFailure;

    /// <summary>Counts, reports and logs a failure the pipeline restarts after.</summary>
    private void Restarting(Exception e, TimeSpan delay)
    {
        CountError(e);
        var description = Describe(e);
        status?.Retrying(description);
        telemetry.PipelineRestarts.Add(1,
            new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, sourceName),
            new KeyValuePair<string, object?>(RelayTelemetry.ErrorTypeTag, e.GetType().Name));
        if (e is SinkFencedException)
        {
            logger.LogWarning("Source {Source}: another relay took over the sink ({Reason}); starting over in {Delay}", sourceName, scrubber?.Scrub(e.Message) ?? e.Message, delay);
            return;
        }
        // A database or broker that stays down fails every retry the same way: the stack trace is logged the first
        // time, each repeat is one line (the trace stays available at Debug).
        var failure = _stage + "|" + description;
        if (failure == _lastFailure)
        {
            logger.LogError("Source {Source}: pipeline failed again in stage {Stage}, as before; restarting from the committed position in {Delay}: {Error}",
                sourceName, _stage, delay, description);
            logger.LogDebug("Source {Source}: the repeated failure: {Error}", sourceName, scrubber?.Scrub(e.ToString()) ?? e.ToString());
            return;
        }
        _lastFailure = failure;
        logger.LogError("Source {Source}: pipeline failed in stage {Stage}; restarting from the committed position in {Delay}: {Error}",
            sourceName, _stage, delay, scrubber?.Scrub(e.ToString()) ?? e.ToString());
    }

    private void LeaseLost(SourceLeaseLostException e)
    {
        var reason = scrubber?.Scrub(e.Message) ?? e.Message;
        status?.LeaseLost(reason);
        telemetry.PipelineRestarts.Add(1,
            new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, sourceName),
            new KeyValuePair<string, object?>(RelayTelemetry.ErrorTypeTag, e.GetType().Name));
        logger.LogWarning("Source {Source}: lost the lease in stage {Stage}; stopped publishing and standing by: {Reason}{Cause}",
            sourceName, _stage, reason, e.InnerException is { } cause ? " (" + Describe(cause) + ")" : "");
        _lastFailure = null;
    }

    /// <summary>A run that had been streaming for a while failed: the retry chain ends so the next one backs off from the start.</summary>
    private sealed class HealthyRunEnded(Exception inner) : Exception("The pipeline failed after streaming for a while.", inner);

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var source = createSource();
        await using var sink = createSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        _stage = Stages.Acquire;
        status?.Starting();
        var started = Stopwatch.GetTimestamp();
        await source.AcquireAsync(stop.Token);
        var acquired = Stopwatch.GetElapsedTime(started);
        status?.Acquired();

        // From here on the lease is checked: once it is lost, everything this run does is cancelled.
        using var leaseLost = new CancellationTokenSource();
        using var endWatch = new CancellationTokenSource();
        SourceLeaseLostException? lost = null;
        var watch = WatchLeaseAsync(source, e =>
        {
            lost = e;
            leaseLost.Cancel();
            stop.Cancel();
        }, endWatch.Token);
        try
        {
            await StreamAsync(source, sink, stop.Token, leaseLost.Token, started, acquired);
        }
        catch (Exception) when (lost is not null)
        {
            // Whatever the cancelled run threw (cancellation, a read cut off with the connection), the cause is the lease.
            throw lost;
        }
        finally
        {
            endWatch.Cancel();
            await watch;
        }
        if (lost is not null) throw lost;
    }

    private async Task WatchLeaseAsync(IOutboxSource source, Action<SourceLeaseLostException> onLost, CancellationToken cancellationToken)
    {
        try
        {
            await source.WatchLeaseAsync(lasts => status?.Heard(lasts), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (SourceLeaseLostException e)
        {
            onLost(e);
        }
    }

    private async Task StreamAsync(IOutboxSource source, IOutboxSink sink, CancellationToken stopToken, CancellationToken leaseLost, long started, TimeSpan acquired)
    {
        _stage = Stages.Initialize;
        var committed = await sink.InitializeAsync(sourceName, stopToken);
        status?.Streaming();
        _stage = Stages.Read;
        logger.LogInformation("Source {Source}: resuming after committed position {Position}", sourceName, committed?.Value ?? "(none)");
        // Where a (re)start spends its time, for whoever tunes a sidecar's start-up.
        logger.LogDebug("Source {Source}: lease held after {AcquireMs:0} ms, sink ready after {SinkMs:0} ms more",
            sourceName, acquired.TotalMilliseconds, (Stopwatch.GetElapsedTime(started) - acquired).TotalMilliseconds);

        // Room for two full batches: the next one is read while the sink commits this one.
        var queue = new SourceBatchQueue(2L * maxBatchRows, 2 * BatchAssembler.DefaultMaxBytes);
        // The reader stops only once the publisher has: on shutdown the publisher finishes (or abandons) the
        // batch in flight and its acknowledgement first, so the source never drops a batch the sink committed
        // while its acknowledgement is under way.
        using var stopReading = new CancellationTokenSource();
        var reading = ReadAsync(source, committed, queue, stopReading.Token);
        var published = false;
        try
        {
            await PublishAsync(source, sink, new BatchAssembler(queue, maxBatchRows), stopToken, leaseLost);
            published = true;
        }
        finally
        {
            stopReading.Cancel();
            try { await reading; }
            catch (OperationCanceledException) { }
            // The publisher's failure is the one to report (a sink that refused a fenced zombie's commit, say): a reader
            // that failed beside it, its database session gone too, must not hide it.
            catch (Exception) when (!published) { }
        }
        await reading;
    }

    private async Task ReadAsync(IOutboxSource source, SourcePosition? committed, SourceBatchQueue queue, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in source.ReadAsync(committed, cancellationToken).WithCancellation(cancellationToken))
            {
                status?.Heard();
                // A batch without rows still moves the committed position (a quiet outbox on a busy log).
                await queue.WriteAsync(batch, cancellationToken);
            }
            // A source streams until it is stopped: one whose stream ends by itself (a dump the server ended) would
            // leave the pipeline alive and publishing nothing. It is a failure, retried from the committed position.
            cancellationToken.ThrowIfCancellationRequested();
            throw new SourceEndedException(source.GetType().Name);
        }
        catch (Exception e)
        {
            queue.Complete(e);
            throw;
        }
    }

    private async Task PublishAsync(IOutboxSource source, IOutboxSink sink, BatchAssembler batches, CancellationToken cancellationToken, CancellationToken leaseLost)
    {
        // One deadline for every acknowledgement, its clock started only when one waits: most complete at once, and a
        // token source, a lease registration and a timer made and disposed per batch are a fixed cost a trickle pays in full.
        var acknowledgeTimeout = new Deadline(AcknowledgeTimeout, leaseLost, armed: false);
        try
        {
            while (await batches.NextAsync(cancellationToken) is var (rows, position, commitTime))
            {
                var messages = new OutboxMessage[rows.Count];
                for (var i = 0; i < rows.Count; i++)
                {
                    messages[i] = router.Route(rows[i]);
                    if (messages[i].IsDeadLetter)
                    {
                        logger.LogWarning("Source {Source}: event {EventId} sent to the dead-letter topic: {Reason}",
                            sourceName, messages[i].EventId, string.Join("; ", messages[i].DeadLetterReasons));
                    }
                }

                using var batch = new BatchTelemetry(telemetry, sourceName, MessagingSystem, messages);
                _stage = Stages.Publish;
                try
                {
                    await sink.PublishAsync(messages, position, cancellationToken);
                }
                catch (Exception e)
                {
                    batch.Failed(e);
                    throw;
                }
                batch.Committed(commitTime);
                _lastFailure = null; // a new failure after this is news again
                if (messages.Length > 0) status?.Published();

                // Only now is it safe to let the source forget these rows. Shutdown does not cut this short:
                // the batch is committed, and finishing the acknowledgement spares the next start a redo. A lost
                // lease does: the new holder's start redoes it from the sink's committed position.
                _stage = Stages.Acknowledge;
                if (acknowledgeTimeout.Token.IsCancellationRequested && !leaseLost.IsCancellationRequested)
                {
                    // Its clock fired as the last acknowledgement completed: a fresh one for this.
                    acknowledgeTimeout.Dispose();
                    acknowledgeTimeout = new Deadline(AcknowledgeTimeout, leaseLost, armed: false);
                }
                var acknowledging = source.AcknowledgeAsync(position, acknowledgeTimeout.Token);
                if (!acknowledging.IsCompleted)
                {
                    acknowledgeTimeout.Arm();
                    try { await acknowledging; }
                    finally { acknowledgeTimeout.Disarm(); }
                }
                else
                {
                    await acknowledging;
                }
                _stage = Stages.Read;
                logger.LogDebug("Source {Source}: committed {Count} messages up to {Position}", sourceName, messages.Length, position.Value);
            }
        }
        finally
        {
            acknowledgeTimeout.Dispose();
        }
    }

    private void CountError(Exception e) =>
        telemetry.Errors.Add(1,
            new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, sourceName),
            new KeyValuePair<string, object?>(RelayTelemetry.ErrorTypeTag, e.GetType().Name),
            new KeyValuePair<string, object?>(RelayTelemetry.StageTag, _stage));
}
