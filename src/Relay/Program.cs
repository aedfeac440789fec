using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Relay.Hosting;
using Relay.Telemetry;

var builder = Host.CreateApplicationBuilder(args);

builder.Services.AddRelay().AddBuiltInKinds();

var otel = builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("relay"))
    .WithMetrics(m => m.AddMeter(RelayTelemetry.Name))
    .WithTracing(t => t.AddSource(RelayTelemetry.Name));
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
    otel.UseOtlpExporter();
if (builder.Configuration.GetValue<bool>("Relay:Telemetry:Console"))
    otel.WithMetrics(m => m.AddConsoleExporter());

using var host = builder.Build();
try
{
    // Validate before the host starts, so bad configuration exits before anything is touched.
    _ = host.Services.GetRequiredService<IOptions<RelayOptions>>().Value;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("Relay cannot start: the configuration has errors.");
    foreach (var failure in e.Failures) Console.Error.WriteLine($"  - {failure}");
    return 2;
}
await host.RunAsync();
return Environment.ExitCode;
