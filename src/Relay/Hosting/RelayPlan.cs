using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Relay.Hosting.Options;

namespace Relay.Hosting;

/// <summary>
/// Reads the Relay section into the list of pipelines to run, collecting every configuration error
/// (not just the first) so one start-up tells the operator all that must be fixed.
/// </summary>
public static class RelayPlan
{
    public static IReadOnlyList<PlannedSource> Build(
        IConfiguration configuration,
        IEnumerable<IOutboxSourceFactory> sourceFactories,
        IEnumerable<IOutboxSinkFactory> sinkFactories,
        IServiceProvider services,
        List<string> errors)
    {
        var relay = configuration.GetSection(RelayOptions.SectionName);
        var sourceKinds = sourceFactories.ToDictionary(f => f.Kind, StringComparer.OrdinalIgnoreCase);
        var sinkKinds = sinkFactories.ToDictionary(f => f.Kind, StringComparer.OrdinalIgnoreCase);
        var sourcesSection = relay.GetSection("Sources");
        var sinksSection = relay.GetSection("Sinks");

        var sinks = new Dictionary<string, (SinkContext, IOutboxSinkFactory)>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in sinksSection.GetChildren())
        {
            var kind = section["Kind"];
            if (string.IsNullOrWhiteSpace(kind) || !sinkKinds.TryGetValue(kind, out var factory))
            {
                errors.Add($"{ConfigKeys.Describe(section, "Kind")} is '{kind}'. Set it to one of: {string.Join(", ", sinkKinds.Keys)}.");
                continue;
            }
            var context = new SinkContext(section.Key, section, services);
            errors.AddRange(factory.Validate(context));
            sinks[section.Key] = (context, factory);
        }

        var planned = new List<PlannedSource>();
        foreach (var section in sourcesSection.GetChildren())
        {
            // The keys every source has, read leniently: the kind's validation reports their problems with the rest.
            var options = new SourceOptions();
            OptionsBinder.Bind(section, options, "a source");
            if (!options.Enabled) continue;
            if (string.IsNullOrWhiteSpace(options.Kind) || !sourceKinds.TryGetValue(options.Kind, out var factory))
            {
                errors.Add($"{ConfigKeys.Describe(section, "Kind")} is '{options.Kind}'. Set it to one of: {string.Join(", ", sourceKinds.Keys)}.");
                continue;
            }
            var context = new SourceContext(section.Key, section, services);
            errors.AddRange(factory.Validate(context));

            if (string.IsNullOrWhiteSpace(options.Sink) && sinks.Count == 1) options.Sink = sinks.Keys.Single();
            if (string.IsNullOrWhiteSpace(options.Sink) || !sinks.TryGetValue(options.Sink, out var sink))
            {
                errors.Add(sinks.Count == 0
                    ? $"Source '{section.Key}' has no sink: {sinksSection.Path} is empty. Add a sink, e.g. {sinksSection.Path}:kafka:Kind=Kafka."
                    : $"{ConfigKeys.Describe(section, "Sink")} is '{options.Sink}'. Set it to one of the sinks under {sinksSection.Path}: {string.Join(", ", sinks.Keys)}.");
                continue;
            }
            planned.Add(new PlannedSource(context, options, factory, sink.Item1, sink.Item2));
        }

        if (!sourcesSection.GetChildren().Any())
            errors.Add($"{sourcesSection.Path} is empty. Add a source, e.g. {sourcesSection.Path}:orders:Kind=PostgresReplication with its ConnectionString (see README.md).");
        return planned;
    }
}

/// <summary>Runs <see cref="RelayPlan"/> at start-up (ValidateOnStart), so bad configuration stops the host before it touches anything.</summary>
internal sealed class RelayOptionsValidator(
    IConfiguration configuration,
    IEnumerable<IOutboxSourceFactory> sourceFactories,
    IEnumerable<IOutboxSinkFactory> sinkFactories,
    IServiceProvider services) : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        var errors = new List<string>();
        RelayPlan.Build(configuration, sourceFactories, sinkFactories, services, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
