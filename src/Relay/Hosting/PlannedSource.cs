namespace Relay.Hosting;

/// <summary>One source to run: its configuration, its kind's factory and the sink it publishes to.</summary>
public sealed record PlannedSource(
    SourceContext Source,
    SourceOptions Options,
    IOutboxSourceFactory SourceFactory,
    SinkContext Sink,
    IOutboxSinkFactory SinkFactory);
