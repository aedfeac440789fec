namespace Relay;

/// <summary>
/// This relay no longer holds (or can no longer prove it holds) its source's lease: it must stop publishing, close
/// its source connections and stand by until it wins the lease again. Not a failure of the relay: another replica
/// may already be the active one.
/// </summary>
public sealed class SourceLeaseLostException(string message, Exception? inner = null) : Exception(message, inner);
