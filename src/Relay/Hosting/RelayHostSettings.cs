using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Relay.Hosting;

/// <summary>
/// The process-level keys beside the sources and sinks: the HTTP endpoint (Relay:Http:*), the shutdown
/// grace period (Relay:ShutdownTimeout) and the telemetry exporters (Relay:Telemetry:*). Read before the
/// host is built, because they decide what the host contains; every problem names the key and the fix.
/// </summary>
public sealed class RelayHostSettings
{
    public const int DefaultPort = 8080;
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultLagInterval = TimeSpan.FromSeconds(5);

    /// <summary>Relay:Http:Enabled (default true): serve /healthz, /readyz and /metrics.</summary>
    public bool HttpEnabled { get; init; } = true;
    /// <summary>Relay:Http:Port (default 8080).</summary>
    public int HttpPort { get; init; } = DefaultPort;
    /// <summary>Relay:Http:Address (default 0.0.0.0, every IPv4 interface).</summary>
    public IPAddress HttpAddress { get; init; } = IPAddress.Any;
    /// <summary>Relay:ShutdownTimeout (default 30 s): how long SIGTERM waits for pipelines to finish their batch.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;
    /// <summary>Relay:Telemetry:Prometheus (default true): /metrics in the Prometheus text format (needs Http:Enabled).</summary>
    public bool Prometheus { get; init; } = true;
    /// <summary>Relay:Telemetry:Console (default false): print metrics and traces to the console.</summary>
    public bool Console { get; init; }
    /// <summary>Relay:Telemetry:Otlp:Endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT: export metrics, traces and logs over OTLP.</summary>
    public Uri? OtlpEndpoint { get; init; }
    /// <summary>Relay:Telemetry:Otlp:Protocol: grpc (default) or http/protobuf; OTEL_EXPORTER_OTLP_PROTOCOL when unset.</summary>
    public string? OtlpProtocol { get; init; }
    /// <summary>True when OTLP is configured by the standard OTEL_EXPORTER_OTLP_ENDPOINT variable rather than Relay's key.</summary>
    public bool OtlpFromEnvironment { get; init; }
    /// <summary>Relay:Telemetry:LagInterval (default 5 s): how often each source's lag probe is sampled.</summary>
    public TimeSpan LagInterval { get; init; } = DefaultLagInterval;

    public static RelayHostSettings Read(IConfiguration configuration, List<string> errors)
    {
        var relay = configuration.GetSection("Relay");
        var http = relay.GetSection("Http");
        var telemetry = relay.GetSection("Telemetry");
        var otlp = telemetry.GetSection("Otlp");

        var enabled = ReadBool(http, "Enabled", true, errors);
        var port = DefaultPort;
        if (http["Port"] is { Length: > 0 } portText &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            errors.Add($"{ConfigKeys.Describe(http, "Port")} is '{portText}'. Set it to a TCP port between 1 and 65535 (default {DefaultPort}).");
            port = DefaultPort;
        }
        var address = IPAddress.Any;
        if (http["Address"] is { Length: > 0 } addressText)
        {
            if (addressText.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(addressText, out address!))
            {
                errors.Add($"{ConfigKeys.Describe(http, "Address")} is '{addressText}'. Set it to an IP address to listen on: 0.0.0.0 (every IPv4 interface, the default), :: (every interface) or 127.0.0.1.");
                address = IPAddress.Any;
            }
        }

        var shutdown = ReadTimeSpan(relay, "ShutdownTimeout", DefaultShutdownTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), errors);
        var lagInterval = ReadTimeSpan(telemetry, "LagInterval", DefaultLagInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1), errors);
        var prometheus = ReadBool(telemetry, "Prometheus", true, errors);
        var console = ReadBool(telemetry, "Console", false, errors);

        Uri? endpoint = null;
        var fromEnvironment = false;
        if (otlp["Endpoint"] is { Length: > 0 } endpointText)
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                errors.Add($"{ConfigKeys.Describe(otlp, "Endpoint")} is not an absolute http(s) URL. Set it to the OTLP receiver, e.g. http://otel-collector:4317 (gRPC) or http://otel-collector:4318 (with Protocol http/protobuf).");
                endpoint = null;
            }
        }
        else if (configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } standard)
        {
            if (!Uri.TryCreate(standard, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                errors.Add("The environment variable OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute http(s) URL. Set it to the OTLP receiver, e.g. http://otel-collector:4317, or unset it.");
                endpoint = null;
            }
            fromEnvironment = endpoint is not null;
        }
        var protocol = otlp["Protocol"];
        if (protocol is { Length: > 0 } && protocol is not ("grpc" or "http/protobuf"))
            errors.Add($"{ConfigKeys.Describe(otlp, "Protocol")} is '{protocol}'. Set it to grpc (the default) or http/protobuf.");

        return new RelayHostSettings
        {
            HttpEnabled = enabled,
            HttpPort = port,
            HttpAddress = address,
            ShutdownTimeout = shutdown,
            Prometheus = prometheus,
            Console = console,
            OtlpEndpoint = endpoint,
            OtlpProtocol = string.IsNullOrEmpty(protocol) ? null : protocol,
            OtlpFromEnvironment = fromEnvironment,
            LagInterval = lagInterval,
        };
    }

    private static bool ReadBool(IConfigurationSection section, string key, bool defaultValue, List<string> errors)
    {
        var text = section[key];
        if (string.IsNullOrEmpty(text)) return defaultValue;
        if (bool.TryParse(text, out var value)) return value;
        errors.Add($"{ConfigKeys.Describe(section, key)} is '{text}'. Set it to true or false (default {(defaultValue ? "true" : "false")}).");
        return defaultValue;
    }

    private static TimeSpan ReadTimeSpan(IConfigurationSection section, string key, TimeSpan defaultValue, TimeSpan min, TimeSpan max, List<string> errors)
    {
        var text = section[key];
        if (string.IsNullOrEmpty(text)) return defaultValue;
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        errors.Add($"{ConfigKeys.Describe(section, key)} is '{text}'. Set it to a time span between {min:c} and {max:c} as hh:mm:ss (default {defaultValue:c}).");
        return defaultValue;
    }
}
