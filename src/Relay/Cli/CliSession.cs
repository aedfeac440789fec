using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Relay.Hosting;

namespace Relay.Cli;

/// <summary>
/// What every command but `run` works on: the host built from the configuration (never started), the
/// validated plan of enabled sources, and the scrubber every printed message goes through.
/// </summary>
internal sealed class CliSession : IDisposable
{
    private readonly IHost _host;

    private CliSession(IHost host, IReadOnlyList<PlannedSource> plan)
    {
        _host = host;
        Plan = plan;
        Scrubber = host.Services.GetRequiredService<SecretScrubber>();
    }

    public IReadOnlyList<PlannedSource> Plan { get; }
    public SecretScrubber Scrubber { get; }
    public IServiceProvider Services => _host.Services;

    /// <summary>Builds and validates; on configuration errors prints them and returns null (the caller exits 2).</summary>
    public static CliSession? Open(RelayLaunch launch, Action<RelayBuilder> registerKinds)
    {
        var built = RelayHost.Build(launch, registerKinds);
        var errors = built.Errors.ToList();
        IReadOnlyList<PlannedSource> plan = [];
        if (built.Host is { } host && errors.Count == 0)
        {
            plan = RelayPlan.Build(host.Services.GetRequiredService<IConfiguration>(), host.Services.GetServices<IOutboxSourceFactory>(),
                host.Services.GetServices<IOutboxSinkFactory>(), host.Services, errors);
        }
        if (errors.Count > 0 || built.Host is null)
        {
            RelayCli.PrintConfigurationErrors(errors);
            built.Host?.Dispose();
            return null;
        }
        return new CliSession(built.Host, plan);
    }

    /// <summary>The planned sources, or only the named one; null with a message when no enabled source has that name.</summary>
    public IReadOnlyList<PlannedSource>? Select(string? source)
    {
        if (source is null) return Plan;
        var match = Plan.Where(p => string.Equals(p.Source.Name, source, StringComparison.OrdinalIgnoreCase)).ToList();
        if (match.Count > 0) return match;
        Console.Error.WriteLine($"No enabled source is named '{source}'. The sources are: {string.Join(", ", Plan.Select(p => p.Source.Name))}.");
        return null;
    }

    public void Dispose() => _host.Dispose();
}
