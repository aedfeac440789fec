using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Relay.Routing;

namespace Relay.Hosting;

/// <summary>One source to run: its configuration, its kind's factory and the sink it publishes to.</summary>
public sealed record PlannedSource(
    SourceContext Source,
    SourceOptions Options,
    IOutboxSourceFactory SourceFactory,
    SinkContext Sink,
    IOutboxSinkFactory SinkFactory);

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
            var options = Bind<SinkOptions>(section, errors);
            if (options is null) continue;
            if (string.IsNullOrWhiteSpace(options.Kind) || !sinkKinds.TryGetValue(options.Kind, out var factory))
            {
                errors.Add($"{ConfigKeys.Describe(section, "Kind")} is '{options.Kind}'. Set it to one of: {string.Join(", ", sinkKinds.Keys)}.");
                continue;
            }
            var context = new SinkContext(section.Key, section, services);
            errors.AddRange(factory.Validate(context));
            sinks[section.Key] = (context, factory);
        }

        var planned = new List<PlannedSource>();
        foreach (var section in sourcesSection.GetChildren())
        {
            var options = Bind<SourceOptions>(section, errors);
            if (options is null || !options.Enabled) continue;
            if (string.IsNullOrWhiteSpace(options.Kind) || !sourceKinds.TryGetValue(options.Kind, out var factory))
            {
                errors.Add($"{ConfigKeys.Describe(section, "Kind")} is '{options.Kind}'. Set it to one of: {string.Join(", ", sourceKinds.Keys)}.");
                continue;
            }
            if (options.MaxBatchRows is < 1 or > 100_000)
                errors.Add($"{ConfigKeys.Describe(section, "MaxBatchRows")} is {options.MaxBatchRows}. Set it between 1 and 100000 (default 1000).");
            errors.AddRange(OutboxRouter.Validate(options.Outbox, section.Path));
            var context = new SourceContext(section.Key, section, options.Outbox, options.MaxBatchRows, services);
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

    private static T? Bind<T>(IConfigurationSection section, List<string> errors) where T : class, new()
    {
        try
        {
            return section.Get<T>(o => o.ErrorOnUnknownConfiguration = false) ?? new T();
        }
        catch (InvalidOperationException e)
        {
            errors.Add($"{section.Path}: {e.Message}");
            return null;
        }
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
