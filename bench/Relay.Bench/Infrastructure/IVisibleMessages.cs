namespace Relay.Bench.Infrastructure;

/// <summary>What a consumer sees of a topic: how many messages are visible, and when the count reached a target.</summary>
public interface IVisibleMessages : IAsyncDisposable
{
    long Count { get; }

    /// <summary>When the first message became visible (bench clock), 0 before.</summary>
    long FirstSeenAt { get; }

    /// <summary>Waits until <paramref name="expected"/> messages are visible; returns the bench-clock time it happened.</summary>
    Task<long> WaitForAsync(long expected, TimeSpan stallTimeout, Func<string>? onStall = null, Action? onTick = null);
}
