using Microsoft.Extensions.Configuration;

namespace Relay;

/// <summary>One configured source: its name, its configuration section and the host's services.</summary>
public sealed record SourceContext(string Name, IConfigurationSection Section, IServiceProvider Services);

/// <summary>One configured sink: its name and its configuration section.</summary>
public sealed record SinkContext(string Name, IConfigurationSection Section, IServiceProvider Services);

/// <summary>Creates sources of one kind (the Kind value in a source's configuration).</summary>
public interface IOutboxSourceFactory
{
    string Kind { get; }

    /// <summary>Checks the source's configuration without touching the database; each error names the key and the fix.</summary>
    IEnumerable<string> Validate(SourceContext context);

    IOutboxSource Create(SourceContext context);

    /// <summary>
    /// Optional: a probe that measures the source's lag on its own connection (see <see cref="ISourceLagProbe"/>);
    /// null (the default) when the kind cannot measure it.
    /// </summary>
    ISourceLagProbe? CreateLagProbe(SourceContext context) => null;

    /// <summary>Optional: checks and setup DDL for `relay validate --connect` and `relay setup`; null (the default) when the kind has none.</summary>
    ISourceSetup? CreateSetup(SourceContext context) => null;
}

/// <summary>Creates sinks of one kind (the Kind value in a sink's configuration).</summary>
public interface IOutboxSinkFactory
{
    string Kind { get; }

    /// <summary>Checks the sink's configuration without touching the broker; each error names the key and the fix.</summary>
    IEnumerable<string> Validate(SinkContext context);

    /// <summary>A sink that serves one source; exactly-once sinks fence by the source's name.</summary>
    IOutboxSink Create(SinkContext context, string sourceName);

    /// <summary>The guarantee the sink gives as configured (its Delivery key, or the strongest the kind gives).</summary>
    DeliveryGuarantee Delivery(SinkContext context);

    /// <summary>What the guarantee rests on, in one sentence for `relay validate` (e.g. "the stream's duplicate window").</summary>
    string DeliveryDependsOn(SinkContext context);

    /// <summary>Optional: reads and moves committed positions for `relay offsets`; null (the default) when the kind cannot.</summary>
    ISinkPositionStore? CreatePositionStore(SinkContext context) => null;
}
