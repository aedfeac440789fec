using System.Diagnostics;

namespace Relay.Telemetry;

/// <summary>
/// The telemetry of one published batch: a producer span linked to the traces of the rows' producers
/// (their traceparent headers), and, once the sink committed, the counters per destination, the batch
/// size, the commit duration and the end-to-end latency. A batch without messages, which only moves the
/// committed position, is not counted.
/// </summary>
internal sealed class BatchTelemetry : IDisposable
{
    /// <summary>Links beyond this many are dropped: a span with thousands of links helps nobody.</summary>
    public const int MaxLinks = 128;

    private readonly RelayTelemetry _telemetry;
    private readonly string _source;
    private readonly string _system;
    private readonly IReadOnlyList<OutboxMessage> _messages;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Activity? _activity;

    public BatchTelemetry(RelayTelemetry telemetry, string source, string messagingSystem, IReadOnlyList<OutboxMessage> messages)
    {
        _telemetry = telemetry;
        _source = source;
        _system = messagingSystem;
        _messages = messages;
        // A batch without messages only moves the committed position (a quiet outbox on a busy log): no span, no counts.
        if (messages.Count == 0 || !RelayTelemetry.ActivitySource.HasListeners()) return;

        _activity = RelayTelemetry.ActivitySource.StartActivity("relay.publish_batch", ActivityKind.Producer, parentContext: default,
            tags:
            [
                new(RelayTelemetry.MessagingSystemTag, messagingSystem),
                new("messaging.operation.name", "send"),
                new("messaging.operation.type", "send"),
                new("messaging.batch.message_count", messages.Count),
                new("relay.source", source),
            ],
            links: Links(messages));
    }

    /// <summary>One link per distinct producer trace among the messages' traceparent headers.</summary>
    internal static List<ActivityLink> Links(IReadOnlyList<OutboxMessage> messages)
    {
        var links = new List<ActivityLink>();
        var seen = new HashSet<ActivityTraceId>();
        foreach (var message in messages)
        {
            foreach (var (name, value) in message.Headers)
            {
                if (name != "traceparent") continue;
                if (ActivityContext.TryParse(System.Text.Encoding.UTF8.GetString(value), null, out var context) && seen.Add(context.TraceId))
                    links.Add(new ActivityLink(context));
                break;
            }
            if (links.Count == MaxLinks) break;
        }
        return links;
    }

    /// <summary>The sink committed the batch (messages and position).</summary>
    public void Committed(DateTimeOffset? sourceCommitTime)
    {
        if (_messages.Count == 0) return;
        var commitSeconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var source = new KeyValuePair<string, object?>(RelayTelemetry.SourceTag, _source);
        var system = new KeyValuePair<string, object?>(RelayTelemetry.MessagingSystemTag, _system);

        // Counted per run of messages to one destination: a batch is most often one topic (one row, or one
        // aggregate type), and this way such a batch costs one update per counter and no grouping.
        var start = 0;
        while (start < _messages.Count)
        {
            var first = _messages[start];
            var end = start;
            long bytes = 0;
            while (end < _messages.Count && _messages[end].IsDeadLetter == first.IsDeadLetter && string.Equals(_messages[end].Topic, first.Topic, StringComparison.Ordinal))
                bytes += Size(_messages[end++]);
            var destination = new KeyValuePair<string, object?>(RelayTelemetry.DestinationTag, first.Topic);
            if (first.IsDeadLetter)
            {
                _telemetry.MessagesDeadLettered.Add(end - start, source, system, destination);
            }
            else
            {
                _telemetry.MessagesPublished.Add(end - start, source, system, destination);
                _telemetry.BytesPublished.Add(bytes, source, system, destination);
            }
            start = end;
        }
        _telemetry.BatchesCommitted.Add(1, source, system);
        _telemetry.BatchSize.Record(_messages.Count, source, system);
        _telemetry.CommitDuration.Record(commitSeconds, source, system);
        if (sourceCommitTime is { } committedAt)
            _telemetry.EndToEndLatency.Record(Math.Max(0, (DateTimeOffset.UtcNow - committedAt).TotalSeconds), source, system);
        _activity?.SetStatus(ActivityStatusCode.Ok);
    }

    /// <summary>The batch did not commit.</summary>
    public void Failed(Exception e)
    {
        if (_activity is null) return;
        _activity.SetTag(RelayTelemetry.ErrorTypeTag, e.GetType().Name);
        _activity.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
    }

    /// <summary>Key, value and headers: what the broker stores of the message.</summary>
    internal static long Size(OutboxMessage message)
    {
        long size = (message.Key?.Length ?? 0) + (message.Value?.Length ?? 0);
        foreach (var (name, value) in message.Headers) size += name.Length + value.Length;
        return size;
    }

    public void Dispose() => _activity?.Dispose();
}
