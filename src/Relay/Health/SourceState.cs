namespace Relay.Health;

/// <summary>Where one source's pipeline stands; /readyz and the relay.pipeline.state metric read it.</summary>
public enum SourceState
{
    /// <summary>Connecting, taking the source's lease, reading the committed position.</summary>
    Starting,
    /// <summary>Another relay holds the source's lease; this one waits to take over.</summary>
    Standby,
    /// <summary>This relay holds the lease and publishes.</summary>
    Streaming,
    /// <summary>The pipeline failed and waits (backoff with jitter) before starting over from the committed position.</summary>
    Retrying,
    /// <summary>A problem retrying cannot fix (rights, configuration); the source stays down until the relay is restarted.</summary>
    Failed,
    /// <summary>The relay is shutting down.</summary>
    Stopped,
    /// <summary>
    /// This relay took the lease and was streaming, but has read nothing and heard nothing from the database (no batch,
    /// no answered lease check) for longer than its lease checks allow: it cannot tell whether it still reads.
    /// </summary>
    Stalled,
}
