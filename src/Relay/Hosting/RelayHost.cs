using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Relay.Health;
using Relay.Telemetry;

namespace Relay.Hosting;

/// <summary>
/// Builds the relay's Generic Host: configuration (see <see cref="RelayLaunch"/>), logging, the
/// registered source and sink kinds, OpenTelemetry exporters and, unless Relay:Http:Enabled is false,
/// Kestrel serving /healthz, /readyz and /metrics on Relay:Http:Port. Building touches no server;
/// every configuration problem is collected, so the caller can print them all and exit 2.
/// </summary>
public static class RelayHost
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";
    private const string ReadyTag = "ready";

    /// <summary>The built host, or null with <see cref="Errors"/> when the configuration cannot even be read.</summary>
    public sealed record Result(IHost? Host, RelayHostSettings? Settings, IReadOnlyList<string> Errors);

    public static Result Build(RelayLaunch launch, Action<RelayBuilder> registerKinds)
    {
        var errors = new List<string>();
        if (launch.Problem() is { } problem) return new Result(null, null, [problem]);

        RelayHostSettings settings;
        try
        {
            var probe = new ConfigurationManager();
            launch.AddSources(probe);
            settings = RelayHostSettings.Read(probe, errors);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            // A JSON file that does not parse: the message names the file and line, never a value.
            return new Result(null, null, [$"The configuration cannot be read: {e.Message} {e.InnerException?.Message}".Trim()]);
        }

        IHostApplicationBuilder builder;
        WebApplicationBuilder? web = null;
        if (settings.HttpEnabled)
        {
            web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ContentRootPath = launch.ContentRoot,
                EnvironmentName = launch.EnvironmentName,
                ApplicationName = "Relay",
            });
            web.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(settings.HttpAddress, settings.HttpPort));
            web.Services.AddRoutingCore();
            builder = web;
        }
        else
        {
            builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
            {
                ContentRootPath = launch.ContentRoot,
                EnvironmentName = launch.EnvironmentName,
                ApplicationName = "Relay",
            });
        }
        launch.AddSources(builder.Configuration);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole();
        // One line per probe and scrape would drown the relay's own log; Logging:LogLevel:Microsoft.AspNetCore overrides it.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A 503 from /readyz is an answer, not an error of the relay (which logs its sources' errors itself).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<SecretScrubber>();
        builder.Services.AddSingleton<SourceStates>();
        registerKinds(builder.Services.AddRelay());
        AddTelemetry(builder, settings);
        if (web is not null)
            web.Services.AddHealthChecks().AddCheck<ReadinessCheck>("sources", tags: [ReadyTag]);

        IHost host;
        if (web is not null)
        {
            var app = web.Build();
            MapEndpoints(app, settings);
            host = app;
        }
        else
        {
            host = ((HostApplicationBuilder)builder).Build();
        }

        try
        {
            // Runs RelayPlan over the whole configuration: every source, sink and key.
            _ = host.Services.GetRequiredService<IOptions<RelayOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            errors.AddRange(e.Failures);
        }
        return new Result(host, settings, errors);
    }

    private static void AddTelemetry(IHostApplicationBuilder builder, RelayHostSettings settings)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("relay"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(RelayTelemetry.Name).AddRuntimeInstrumentation();
                if (settings.HttpEnabled && settings.Prometheus) metrics.AddPrometheusExporter();
                if (settings.Console) metrics.AddConsoleExporter();
            });
        // Spans only when something exports them: a listener without an exporter has every batch build a span, its tags
        // and links for nobody.
        if (settings.Console || settings.OtlpEndpoint is not null)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddSource(RelayTelemetry.Name);
                if (settings.Console) tracing.AddConsoleExporter();
            });
        }
        if (settings.OtlpEndpoint is { } endpoint)
        {
            if (settings.OtlpFromEnvironment && settings.OtlpProtocol is null)
                otel.UseOtlpExporter(); // the standard OTEL_EXPORTER_OTLP_* variables, headers included
            else
                otel.UseOtlpExporter(settings.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, endpoint);
        }
    }

    private static void MapEndpoints(WebApplication app, RelayHostSettings settings)
    {
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions
        {
            Predicate = _ => false, // alive is alive: no dependency decides it
            ResponseWriter = HealthResponses.WriteLiveness,
        });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthResponses.WriteReadiness,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        if (settings.Prometheus) app.MapPrometheusScrapingEndpoint(MetricsPath);
    }

    /// <summary>Where the endpoints answer, for the start-up log line.</summary>
    public static string Describe(RelayHostSettings settings) =>
        $"http://{(settings.HttpAddress.Equals(IPAddress.Any) ? "0.0.0.0" : settings.HttpAddress.ToString())}:{settings.HttpPort}";
}
