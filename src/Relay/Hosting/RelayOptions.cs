namespace Relay.Hosting;

/// <summary>
/// The "Relay" configuration section. Sources (Relay:Sources:&lt;name&gt;) and sinks (Relay:Sinks:&lt;name&gt;)
/// are named options of their kinds' options classes, read and validated through <see cref="RelayPlan"/>.
/// </summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";
}
