using System.Diagnostics;
using System.Diagnostics.Metrics;
using Relay.Health;

namespace Relay.Telemetry;

/// <summary>
/// The relay's meter and activity source. Every instrument carries the source name ("source");
/// publishing instruments also carry OpenTelemetry's messaging attributes (messaging.system,
/// messaging.destination.name). Histograms of seconds have buckets that suit seconds (advice), so
/// every exporter, Prometheus included, gets them without a View.
/// </summary>
public sealed class RelayTelemetry : IDisposable
{
    public const string Name = "Relay";

    // Attribute names (OpenTelemetry semantic conventions where one fits).
    public const string SourceTag = "source";
    public const string MessagingSystemTag = "messaging.system";
    public const string DestinationTag = "messaging.destination.name";
    public const string ErrorTypeTag = "error.type";
    public const string StageTag = "relay.stage";
    public const string StateTag = "state";
    public const string RetentionStatusTag = "status";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Seconds, from a millisecond to ten minutes.</summary>
    public static readonly IReadOnlyList<double> SecondsBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    /// <summary>Messages per batch, up to the largest MaxBatchRows.</summary>
    public static readonly IReadOnlyList<int> BatchSizeBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

    private readonly Meter _meter;
    private readonly SourceStates? _states;

    public RelayTelemetry(IMeterFactory meterFactory) : this(meterFactory, null)
    {
    }

    public RelayTelemetry(IMeterFactory meterFactory, SourceStates? states)
    {
        _states = states;
        _meter = meterFactory.Create(Name);
        MessagesPublished = _meter.CreateCounter<long>("relay.messages.published", "{message}",
            "Messages committed to the sink (dead letters not included), by source and destination.");
        BytesPublished = _meter.CreateCounter<long>("relay.messages.published.size", "By",
            "Bytes of key, value and headers committed to the sink, by source and destination.");
        MessagesDeadLettered = _meter.CreateCounter<long>("relay.messages.dead_lettered", "{message}",
            "Rows that could not be routed and went to the dead-letter topic.");
        BatchesCommitted = _meter.CreateCounter<long>("relay.batches.committed", "{batch}",
            "Batches committed to the sink together with their source position.");
        CommitDuration = _meter.CreateHistogram("relay.batch.commit.duration", "s",
            "Time to publish one batch and commit it with its position in the sink.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        BatchSize = _meter.CreateHistogram("relay.batch.size", "{message}", "Messages per committed batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        EndToEndLatency = _meter.CreateHistogram("relay.end_to_end.latency", "s",
            "From the commit of a batch's newest source transaction to the sink commit; recorded by sources that know commit times (log tailing).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        PipelineRestarts = _meter.CreateCounter<long>("relay.pipeline.restarts", "{restart}",
            "Pipeline restarts after an error (each after a backoff, from the committed position), by error type.");
        Errors = _meter.CreateCounter<long>("relay.errors", "{error}",
            "Errors by source, error type and stage (acquire, initialize, read, publish, acknowledge, lag_probe).");

        if (states is null) return;
        _meter.CreateObservableGauge("relay.pipeline.state", ObserveStates, "{state}",
            "1 for the state each source's pipeline is in (starting, standby, streaming, retrying, failed, stopped), 0 for the others.");
        _meter.CreateObservableGauge("relay.source.active", ObserveActive, "{replica}",
            "1 when this replica is the active one for the source (holds its lease), 0 when it stands by or is down.");
        _meter.CreateObservableGauge("relay.publish.idle_time", () => Observe(s => s.SecondsSinceLastPublish), "s",
            "Seconds since this replica last committed a batch for the source (absent before the first).");
        _meter.CreateObservableGauge("relay.source.lag", () => Observe(s => s.Lag?.LagSeconds), "s",
            "How far the source's committed progress trails the database, in seconds (log tailing: commit time of the newest unconfirmed change; polling: the oldest waiting row).");
        _meter.CreateObservableGauge("relay.source.lag.size", () => ObserveLong(s => s.Lag?.LagBytes), "By",
            "Bytes of log between the server's current position and the source's confirmed position.");
        _meter.CreateObservableGauge("relay.source.retained.size", () => ObserveLong(s => s.Lag?.RetainedBytes), "By",
            "Bytes of log the server retains for the source (replication slot restart point to the current position).");
        _meter.CreateObservableGauge("relay.source.retention.status", ObserveRetention, "{status}",
            "1 for the server's retention status of the source's log (PostgreSQL wal_status: reserved, extended, unreserved, lost).");
        _meter.CreateObservableGauge("relay.source.pending", () => ObserveLong(s => s.Lag?.PendingRows), "{row}",
            "Rows waiting in the outbox table to be published (polling).");
        _meter.CreateObservableGauge("relay.source.pending.age", () => Observe(s => s.Lag?.OldestPendingSeconds), "s",
            "Age of the oldest row waiting to be published (polling, with a timestamp column).");
    }

    public Counter<long> MessagesPublished { get; }
    public Counter<long> BytesPublished { get; }
    public Counter<long> MessagesDeadLettered { get; }
    public Counter<long> BatchesCommitted { get; }
    public Histogram<double> CommitDuration { get; }
    public Histogram<int> BatchSize { get; }
    public Histogram<double> EndToEndLatency { get; }
    public Counter<long> PipelineRestarts { get; }
    public Counter<long> Errors { get; }

    private IEnumerable<Measurement<int>> ObserveStates()
    {
        foreach (var status in _states!.All)
        {
            var current = status.State;
            foreach (var state in Enum.GetValues<SourceState>())
                yield return new Measurement<int>(current == state ? 1 : 0,
                    new KeyValuePair<string, object?>(SourceTag, status.Name), new KeyValuePair<string, object?>(StateTag, StateName(state)));
        }
    }

    private IEnumerable<Measurement<int>> ObserveActive() =>
        _states!.All.Select(s => new Measurement<int>(s.Active ? 1 : 0, new KeyValuePair<string, object?>(SourceTag, s.Name)));

    private IEnumerable<Measurement<double>> Observe(Func<SourceStatus, double?> value)
    {
        foreach (var status in _states!.All)
            if (value(status) is { } v) yield return new Measurement<double>(v, new KeyValuePair<string, object?>(SourceTag, status.Name));
    }

    private IEnumerable<Measurement<long>> ObserveLong(Func<SourceStatus, long?> value)
    {
        foreach (var status in _states!.All)
            if (value(status) is { } v) yield return new Measurement<long>(v, new KeyValuePair<string, object?>(SourceTag, status.Name));
    }

    private IEnumerable<Measurement<int>> ObserveRetention()
    {
        foreach (var status in _states!.All)
            if (status.Lag?.RetentionStatus is { } retention)
                yield return new Measurement<int>(1, new KeyValuePair<string, object?>(SourceTag, status.Name), new KeyValuePair<string, object?>(RetentionStatusTag, retention));
    }

    /// <summary>The lower-case name used in metrics and /readyz.</summary>
    public static string StateName(SourceState state) => state.ToString().ToLowerInvariant();

    public void Dispose() => _meter.Dispose();
}
