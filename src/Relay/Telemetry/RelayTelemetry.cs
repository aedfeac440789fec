using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Relay.Telemetry;

/// <summary>The relay's meter and activity source; every instrument is tagged with the source name.</summary>
public sealed class RelayTelemetry : IDisposable
{
    public const string Name = "Relay";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public RelayTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        MessagesPublished = _meter.CreateCounter<long>("relay.messages.published", "{message}", "Messages committed to the sink.");
        MessagesDeadLettered = _meter.CreateCounter<long>("relay.messages.dead_lettered", "{message}", "Rows that could not be routed and went to the dead-letter topic.");
        BatchesCommitted = _meter.CreateCounter<long>("relay.batches.committed", "{batch}", "Batches committed to the sink together with their source position.");
        CommitDuration = _meter.CreateHistogram<double>("relay.batch.commit.duration", "s", "Time to publish and commit one batch.");
        BatchSize = _meter.CreateHistogram<int>("relay.batch.size", "{message}", "Messages per committed batch.");
        PipelineRestarts = _meter.CreateCounter<long>("relay.pipeline.restarts", "{restart}", "Pipeline restarts after an error; each restarts from the committed position.");
    }

    public Counter<long> MessagesPublished { get; }
    public Counter<long> MessagesDeadLettered { get; }
    public Counter<long> BatchesCommitted { get; }
    public Histogram<double> CommitDuration { get; }
    public Histogram<int> BatchSize { get; }
    public Counter<long> PipelineRestarts { get; }

    public void Dispose() => _meter.Dispose();
}
