namespace Relay.Sinks.Kafka;

/// <summary>
/// Keeps secrets from the Config sub-section out of logs and exception messages: values of keys
/// that look secret are shown as "[redacted]", and any text is scrubbed of them before it leaves.
/// </summary>
public sealed class KafkaSecrets
{
    public const string Mask = "[redacted]";

    // Substrings of librdkafka property names whose values are credentials or private keys
    // (sasl.password, ssl.key.password, ssl.keystore.password, sasl.jaas.config,
    // sasl.oauthbearer.client.secret, sasl.oauthbearer.config, ssl.key.pem ...).
    private static readonly string[] SensitiveParts =
        ["password", "secret", "jaas", "token", "credential", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key", "private"];

    private readonly string[] _values;

    public KafkaSecrets(IReadOnlyDictionary<string, string> config)
    {
        _values = config.Where(p => IsSensitive(p.Key) && p.Value.Length > 0)
            .Select(p => p.Value)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length) // longest first, so a secret containing another is masked whole
            .ToArray();
    }

    public static bool IsSensitive(string property) =>
        SensitiveParts.Any(part => property.Contains(part, StringComparison.OrdinalIgnoreCase));

    /// <summary>"key=value, key=[redacted]" for logging which settings are in effect.</summary>
    public string Describe(IReadOnlyDictionary<string, string> config) =>
        string.Join(", ", config.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={(IsSensitive(p.Key) ? Mask : Scrub(p.Value))}"));

    /// <summary>The text with every secret value replaced by the mask.</summary>
    public string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        foreach (var secret in _values)
        {
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return text;
    }
}
