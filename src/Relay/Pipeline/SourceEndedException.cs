namespace Relay.Pipeline;

/// <summary>A source's stream ended without the host asking it to: the pipeline retries it, and /readyz shows the retry.</summary>
public sealed class SourceEndedException(string source)
    : Exception($"The source ({source}) ended its stream without being stopped; restarting it from the committed position.");
