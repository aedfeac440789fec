namespace Relay;

/// <summary>
/// A problem retrying cannot fix (missing rights, a missing table, a misconfigured broker): the relay
/// stops with a non-zero exit code instead of retrying forever. The message names the problem and the fix.
/// </summary>
public sealed class RelayFatalException(string message, Exception? inner = null) : Exception(message, inner);
