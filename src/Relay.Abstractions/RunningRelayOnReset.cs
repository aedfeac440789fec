namespace Relay;

/// <summary>
/// What <see cref="ISinkPositionStore.ResetAsync"/> does to a relay publishing for the source at the time, which
/// `relay offsets reset` tells the operator before asking.
/// </summary>
public enum RunningRelayOnReset
{
    /// <summary>
    /// Nothing stops it: its next commit writes its own position over the reset. The relay must be stopped first;
    /// the kind cannot check that it is.
    /// </summary>
    NotFenced,

    /// <summary>Fenced: its next commit fails, its batch in flight is discarded, and it starts over from the new position.</summary>
    Fenced,

    /// <summary>The reset is refused while a relay publishes for the source: it must be stopped first.</summary>
    ResetRefused,
}
