namespace Relay;

/// <summary>
/// The committed positions a sink holds, for `relay offsets show|reset`. Created by
/// <see cref="IOutboxSinkFactory.CreatePositionStore"/>.
/// </summary>
public interface ISinkPositionStore : IAsyncDisposable
{
    /// <summary>The source's committed position (null when none), read without fencing a running relay.</summary>
    Task<SourcePosition?> ReadAsync(string sourceName, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the committed position, or deletes it (<paramref name="position"/> null) so the next start begins fresh.
    /// What it does to a relay publishing for the source meanwhile is <see cref="RunningRelayOnReset"/>.
    /// </summary>
    Task ResetAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <see cref="ResetAsync"/> fences a running relay, refuses while one runs, or neither. A kind that does
    /// not say is taken to do neither, the one answer that cannot mislead: the operator stops the relay first.
    /// </summary>
    RunningRelayOnReset RunningRelayOnReset => RunningRelayOnReset.NotFenced;

    /// <summary>
    /// For `relay validate --connect`: the broker settings the sink's guarantee rests on, checked the way the sink
    /// checks them at start; each problem names the key and the fix. Empty when all is well, or when the kind checks
    /// nothing beyond reading a position (the default).
    /// </summary>
    Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SetupProblem>>([]);
}
