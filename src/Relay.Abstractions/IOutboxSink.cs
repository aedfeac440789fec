namespace Relay;

/// <summary>A routed message, ready for a broker.</summary>
public sealed record OutboxMessage(
    string Topic,
    byte[]? Key,
    byte[]? Value,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers)
{
    private string? _eventId;

    /// <summary>The event id, also carried in the "id" header, for consumer-side de-duplication; read from that header unless set.</summary>
    public string? EventId
    {
        get
        {
            if (_eventId is null)
            {
                foreach (var (name, value) in Headers)
                {
                    if (name != "id") continue;
                    _eventId = System.Text.Encoding.UTF8.GetString(value);
                    break;
                }
            }
            return _eventId;
        }
        init => _eventId = value;
    }

    /// <summary>
    /// Why the row could not be routed, every reason found (empty for a routed message). The router sets it;
    /// a message is a dead letter because it has reasons, whatever its topic is called.
    /// </summary>
    public IReadOnlyList<string> DeadLetterReasons { get; init; } = [];

    /// <summary>True when the router sent the row to the dead-letter topic.</summary>
    public bool IsDeadLetter => DeadLetterReasons.Count > 0;
}

/// <summary>
/// Publishes one source's messages to a broker. An exactly-once sink commits the messages of a
/// batch together with the source position after it, atomically, and fences older writers.
/// One sink instance serves one source.
/// </summary>
public interface IOutboxSink : IAsyncDisposable
{
    /// <summary>
    /// Takes over the source's stream in the broker: fences any older writer with the same source
    /// name, then returns the last committed position (null when none).
    /// </summary>
    Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes the messages and the position in one atomic commit; when it returns, both are durable.
    /// Throws <see cref="SinkFencedException"/> when another relay has taken over the source.
    /// </summary>
    Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken);
}

/// <summary>Another relay has taken over this source; this one must stop publishing and start over.</summary>
public sealed class SinkFencedException(string message, Exception? inner = null) : Exception(message, inner);
