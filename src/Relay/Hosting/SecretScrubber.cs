using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Relay.Sinks.Kafka;

namespace Relay.Hosting;

/// <summary>
/// Knows every secret in the configuration (passwords inside connection strings and Redis
/// configuration strings, secret-looking keys such as Kafka's sasl.password) and masks them in any
/// text before it leaves the process through a log line, /readyz or an error message.
/// </summary>
public sealed class SecretScrubber
{
    public const string Mask = "[redacted]";

    /// <summary>Secrets shorter than this are not masked (see the constructor).</summary>
    public const int MinSecretLength = 8;

    private static readonly string[] SecretKeyParts = ["password", "pwd", "secret", "token", "credential", "jaas", "private"];

    private readonly string[] _secrets;

    public SecretScrubber(IConfiguration configuration)
    {
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration.GetSection("Relay").AsEnumerable())
        {
            if (string.IsNullOrEmpty(value)) continue;
            var name = key[(key.LastIndexOf(':') + 1)..];
            if (IsSecretKey(name) || KafkaSecrets.IsSensitive(name)) secrets.Add(value);
            else if (name.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase)) AddConnectionStringSecrets(value, secrets);
            else if (name.Equals("Configuration", StringComparison.OrdinalIgnoreCase)) AddRedisSecrets(value, secrets);
        }
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            // The standard OpenTelemetry variables may carry an API key in their headers.
            if (key.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.OrdinalIgnoreCase) && key.Contains("HEADERS", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(value))
                foreach (var header in value.Split(','))
                    if (header.Split('=', 2) is [_, { Length: > 0 } headerValue]) secrets.Add(headerValue.Trim());
        }
        // Shorter values would mask ordinary words ("relay" as a test password would mangle every message);
        // this is a safety net behind messages that never quote a secret, and real secrets are longer.
        _secrets = secrets.Where(s => s.Length >= MinSecretLength).OrderByDescending(s => s.Length).ToArray();
    }

    public static bool IsSecretKey(string name) =>
        SecretKeyParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase));

    /// <summary>The text with every known secret replaced by <see cref="Mask"/>.</summary>
    public string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        foreach (var secret in _secrets)
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>"ExceptionType: message" for an error report, scrubbed, with the inner exceptions' messages.</summary>
    public string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var current = e; current is not null && parts.Count < 4; current = current.InnerException)
            parts.Add($"{current.GetType().Name}: {current.Message}");
        return Scrub(string.Join(" ---> ", parts));
    }

    private static void AddConnectionStringSecrets(string value, HashSet<string> secrets)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = value };
            foreach (string key in builder.Keys)
                if (IsSecretKey(key) && builder[key]?.ToString() is { Length: > 0 } secret) secrets.Add(secret);
        }
        catch (ArgumentException)
        {
            // Unparseable: validation reports it without repeating it; mask the whole string in case it is echoed.
            secrets.Add(value);
        }
    }

    private static void AddRedisSecrets(string value, HashSet<string> secrets)
    {
        foreach (var option in value.Split(','))
        {
            var pair = option.Split('=', 2);
            if (pair.Length == 2 && IsSecretKey(pair[0].Trim()) && pair[1].Trim() is { Length: > 0 } secret) secrets.Add(secret);
        }
    }
}
