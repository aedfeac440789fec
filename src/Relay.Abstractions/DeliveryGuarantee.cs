namespace Relay;

/// <summary>What a sink promises about each routed message (the Delivery key of every sink).</summary>
public enum DeliveryGuarantee
{
    /// <summary>Every message once: messages and the source position commit together, and older writers are fenced.</summary>
    ExactlyOnce,
    /// <summary>Every message at least once: a crash may publish the batch in flight again; consumers de-duplicate by the "id" header.</summary>
    AtLeastOnce,
}
