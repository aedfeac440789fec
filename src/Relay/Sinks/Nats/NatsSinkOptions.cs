namespace Relay.Sinks.Nats;

/// <summary>The keys of a NATS JetStream sink (section Relay:Sinks:&lt;name&gt;).</summary>
public sealed class NatsSinkOptions : SinkOptions
{
    public const string DefaultStream = "relay";
    public const string DefaultStreamSubjects = "outbox.>,relay.>";
    public const string DefaultPositionBucket = "relay-positions";
    public static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(2);

    /// <summary>The server, e.g. nats://127.0.0.1:4222 (user:password@ in it is a secret, never logged).</summary>
    public string? Url { get; set; }

    /// <summary>The JetStream stream the topics' subjects belong to; checked (duplicate window) at start.</summary>
    public string Stream { get; set; } = DefaultStream;

    /// <summary>The subjects of <see cref="Stream"/> when the relay creates it, comma-separated (NATS wildcards allowed).</summary>
    public string StreamSubjects { get; set; } = DefaultStreamSubjects;

    /// <summary>Create <see cref="Stream"/> (file storage, the duplicate window below) when it is missing.</summary>
    public bool CreateStream { get; set; } = true;

    /// <summary>
    /// How long the server remembers a Nats-Msg-Id. Exactly once holds while every restart (kill, outage, deploy) is
    /// shorter than this: the relay refuses to start when a stream's real duplicate_window is shorter.
    /// </summary>
    public TimeSpan DuplicateWindow { get; set; } = DefaultDuplicateWindow;

    /// <summary>The key-value bucket of committed positions, one key per source (created when missing).</summary>
    public string PositionBucket { get; set; } = DefaultPositionBucket;

    /// <summary>PEM file of the CA of the server's TLS certificate, when the system's trust store does not hold it (tls:// URLs).</summary>
    public string? CaCertificate { get; set; }

    /// <summary>The subjects of <see cref="StreamSubjects"/>, trimmed.</summary>
    internal string[] Subjects => StreamSubjects.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
