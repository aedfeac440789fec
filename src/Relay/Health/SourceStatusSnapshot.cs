namespace Relay.Health;

/// <summary>A point-in-time copy of a <see cref="SourceStatus"/>.</summary>
public sealed record SourceStatusSnapshot(
    string Name,
    string Kind,
    string Sink,
    SourceState State,
    DateTimeOffset Since,
    bool Active,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastPublishAt,
    SourceLagSample? Lag,
    DateTimeOffset? LagAt,
    string? LagError);
