using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Relay.Routing;

namespace Relay.Hosting.Options;

/// <summary>
/// Named options of one sink kind: binds Relay:Sinks:&lt;name&gt; and validates it (the binder's checks, the keys every
/// sink has, then the kind's own).
/// </summary>
internal sealed class SinkOptionsSetup<TOptions>(IConfiguration configuration, OutboxSinkFactory<TOptions> kind)
    : IConfigureNamedOptions<TOptions>, IValidateOptions<TOptions>
    where TOptions : SinkOptions, new()
{
    public const string SectionPath = "Relay:Sinks";

    private IConfigurationSection Section(string? name) => configuration.GetSection(ConfigurationPath.Combine(SectionPath, name ?? ""));

    public void Configure(TOptions options) => Configure(Microsoft.Extensions.Options.Options.DefaultName, options);

    public void Configure(string? name, TOptions options) => OptionsBinder.Bind(Section(name), options, Owner);

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var section = Section(name);
        var problems = OptionsBinder.Bind(section, new TOptions(), Owner);
        if (options.Delivery == DeliveryGuarantee.ExactlyOnce && kind.StrongestDelivery != DeliveryGuarantee.ExactlyOnce)
            problems.Add($"{ConfigKeys.Describe(section, "Delivery")} is ExactlyOnce, which {Owner} cannot give: {kind.DeliveryDependsOn(options)} " +
                         $"Set it to {kind.StrongestDelivery} (or leave it out) and have consumers de-duplicate by the \"id\" header, or use a sink kind that gives ExactlyOnce (Kafka, Redis, Nats).");
        problems.AddRange(ShardMap.Validate(section, options.Shards));
        problems.AddRange(kind.Validate(section, options));
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private string Owner => $"a {kind.Kind} sink";
}
