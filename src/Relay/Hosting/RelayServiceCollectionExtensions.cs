using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Relay.Health;
using Microsoft.Extensions.Options;
using Relay.Telemetry;

namespace Relay.Hosting;

public static class RelayServiceCollectionExtensions
{
    /// <summary>Adds the relay worker, its telemetry and start-up validation; register source and sink kinds on the result.</summary>
    public static RelayBuilder AddRelay(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<RelayTelemetry>();
        services.TryAddSingleton<SourceStates>();
        services.TryAddSingleton<SecretScrubber>();
        services.TryAddSingleton(new RelayHostSettings());
        services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>();
        services.AddOptions<RelayOptions>().BindConfiguration(RelayOptions.SectionName).ValidateOnStart();
        services.AddHostedService<RelayWorker>();
        return new RelayBuilder(services);
    }
}
