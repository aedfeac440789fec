using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Relay.Routing;

namespace Relay.Hosting.Options;

/// <summary>
/// Named options of one source kind: binds Relay:Sources:&lt;name&gt; (the options name is the source name) and
/// validates it — unknown keys and unconvertible values, the keys every source has, then the kind's own checks.
/// </summary>
internal sealed class SourceOptionsSetup<TOptions>(IConfiguration configuration, OutboxSourceFactory<TOptions> kind)
    : IConfigureNamedOptions<TOptions>, IValidateOptions<TOptions>
    where TOptions : SourceOptions, new()
{
    public const string SectionPath = "Relay:Sources";

    private IConfigurationSection Section(string? name) => configuration.GetSection(ConfigurationPath.Combine(SectionPath, name ?? ""));

    public void Configure(TOptions options) => Configure(Microsoft.Extensions.Options.Options.DefaultName, options);

    public void Configure(string? name, TOptions options)
    {
        var section = Section(name);
        OptionsBinder.Bind(section, options, Owner);
        kind.Configure(section, options);
    }

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var section = Section(name);
        var problems = OptionsBinder.Bind(section, new TOptions(), Owner);
        if (options.MaxBatchRows is < 1 or > 100_000)
            problems.Add($"{ConfigKeys.Describe(section, "MaxBatchRows")} is {options.MaxBatchRows}. Set it between 1 and 100000 (default 1000 for log tailing, 5000 for polling).");
        problems.AddRange(OutboxRouter.Validate(options.Outbox, section.Path));
        problems.AddRange(kind.Validate(section, options));
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private string Owner => $"a {kind.Kind} source";
}
