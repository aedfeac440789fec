namespace Relay.Tests.Infrastructure;

/// <summary>
/// What a transactional sink would hold: the messages and the position, committed together. It
/// outlives the sinks the pipeline creates, like a broker's topics outlive a relay's restarts.
/// </summary>
internal sealed class RecordingStore
{
    private readonly Lock _lock = new();
    private readonly List<OutboxMessage> _messages = new();
    private int _publishes;

    public SourcePosition? Position { get { lock (_lock) return field; } private set; }
    public int Commits { get { lock (_lock) return field; } private set; }
    public int Failures { get { lock (_lock) return field; } private set; }

    /// <summary>Publish calls (1-based) that fail before anything is committed, as a broker outage would.</summary>
    public HashSet<int> FailingPublishes { get; } = new();

    /// <summary>Fail right after the Nth commit, as a relay crashing between the sink commit and the acknowledgement.</summary>
    public int CrashAfterCommit { get; init; } = -1;

    public List<OutboxMessage> Messages
    {
        get { lock (_lock) return _messages.ToList(); }
    }

    public void Commit(IReadOnlyList<OutboxMessage> messages, SourcePosition position)
    {
        lock (_lock)
        {
            if (FailingPublishes.Contains(++_publishes))
            {
                Failures++;
                throw new IOException($"Injected failure of publish {_publishes}.");
            }
            _messages.AddRange(messages);
            Position = position;
            if (++Commits == CrashAfterCommit) throw new IOException("Simulated crash after the sink commit.");
        }
    }
}

/// <summary>A sink over a <see cref="RecordingStore"/>, for pipeline tests that need no broker.</summary>
internal sealed class RecordingSink(RecordingStore store) : IOutboxSink
{
    public Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken) => Task.FromResult(store.Position);

    public Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        store.Commit(messages, position);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
