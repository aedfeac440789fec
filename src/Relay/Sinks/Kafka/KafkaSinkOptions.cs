using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Relay.Sinks.Kafka;

public enum KafkaDelivery
{
    /// <summary>Messages and the source position commit in one Kafka transaction; older relays are fenced.</summary>
    ExactlyOnce,
    /// <summary>For brokers without transactions: messages first, then the position; consumers de-duplicate by the "id" header.</summary>
    AtLeastOnce,
}

/// <summary>
/// A Kafka sink's section, parsed and checked without contacting the broker. Every problem becomes
/// one message naming the key and the fix; values of secret-looking keys are never echoed.
/// </summary>
public sealed partial class KafkaSinkOptions
{
    public const string DefaultOffsetsTopic = "relay.offsets";
    public const string DefaultTransactionalIdPrefix = "relay-";
    public static readonly TimeSpan DefaultTransactionTimeout = TimeSpan.FromMinutes(1);

    // Brokers cap transactions at transaction.max.timeout.ms, 15 minutes by default.
    private static readonly TimeSpan MaxTransactionTimeout = TimeSpan.FromMinutes(15);
    private const string RequiredPartitioner = "murmur2_random";

    public required string BootstrapServers { get; init; }
    public KafkaDelivery Delivery { get; init; } = KafkaDelivery.ExactlyOnce;
    public string OffsetsTopic { get; init; } = DefaultOffsetsTopic;
    public string TransactionalIdPrefix { get; init; } = DefaultTransactionalIdPrefix;
    public bool CreateOffsetsTopic { get; init; } = true;
    public TimeSpan TransactionTimeout { get; init; } = DefaultTransactionTimeout;

    /// <summary>Raw librdkafka properties from the Config sub-section (security.protocol, sasl.*, ssl.* ...).</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    public string TransactionalIdFor(string sourceName) => TransactionalIdPrefix + sourceName;

    /// <summary>Parses the section; returns null and adds to <paramref name="errors"/> when anything is wrong.</summary>
    public static KafkaSinkOptions? Parse(IConfigurationSection section, List<string> errors)
    {
        var before = errors.Count;
        string Key(string key) => ConfigKeys.Describe(section, key);

        var bootstrap = section["BootstrapServers"];
        if (string.IsNullOrWhiteSpace(bootstrap))
            errors.Add($"{Key("BootstrapServers")} is missing. Set it to the brokers as host:port[,host:port...], e.g. broker1:9092,broker2:9092.");

        var delivery = KafkaDelivery.ExactlyOnce;
        if (section["Delivery"] is { Length: > 0 } deliveryText
            && (!Enum.TryParse(deliveryText, ignoreCase: true, out delivery) || !Enum.IsDefined(delivery)))
            errors.Add($"{Key("Delivery")} is '{deliveryText}'. Set it to ExactlyOnce (the default; needs brokers with transactions) or AtLeastOnce.");

        var offsetsTopic = section["OffsetsTopic"] is { Length: > 0 } t ? t : DefaultOffsetsTopic;
        if (!IsValidTopicName(offsetsTopic))
            errors.Add($"{Key("OffsetsTopic")} is '{offsetsTopic}', which is not a valid Kafka topic name. Use at most 249 of a-z A-Z 0-9 . _ - (default {DefaultOffsetsTopic}).");

        var prefix = section["TransactionalIdPrefix"] ?? DefaultTransactionalIdPrefix;
        if (prefix.Any(char.IsControl))
            errors.Add($"{Key("TransactionalIdPrefix")} contains control characters. Use printable characters (default {DefaultTransactionalIdPrefix}).");

        var create = true;
        if (section["CreateOffsetsTopic"] is { Length: > 0 } createText && !bool.TryParse(createText, out create))
            errors.Add($"{Key("CreateOffsetsTopic")} is '{createText}'. Set it to true or false.");

        var timeout = DefaultTransactionTimeout;
        if (section["TransactionTimeout"] is { Length: > 0 } timeoutText)
        {
            if (!TimeSpan.TryParse(timeoutText, CultureInfo.InvariantCulture, out timeout))
                errors.Add($"{Key("TransactionTimeout")} is '{timeoutText}'. Set it as hh:mm:ss, e.g. 00:01:00.");
            else if (timeout < TimeSpan.FromSeconds(1) || timeout > MaxTransactionTimeout)
                errors.Add($"{Key("TransactionTimeout")} is {timeoutText}. Set it between 00:00:01 and 00:15:00 (the brokers' default transaction.max.timeout.ms).");
        }

        var configSection = section.GetSection("Config");
        var config = ReadConfig(configSection);
        errors.AddRange(ValidateConfig(section, configSection, config));

        if (errors.Count > before) return null;
        return new KafkaSinkOptions
        {
            BootstrapServers = bootstrap!.Trim(),
            Delivery = delivery,
            OffsetsTopic = offsetsTopic,
            TransactionalIdPrefix = prefix,
            CreateOffsetsTopic = create,
            TransactionTimeout = timeout,
            Config = config,
        };
    }

    /// <summary>
    /// Flattens the Config sub-section: "sasl.password" and nested "sasl:password" (handy as the
    /// environment variable ...__Config__sasl__password) both become sasl.password.
    /// </summary>
    private static Dictionary<string, string> ReadConfig(IConfigurationSection section)
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, value) in section.AsEnumerable(makePathsRelative: true))
        {
            if (value is null) continue;
            config[path.Replace(':', '.')] = value;
        }
        return config;
    }

    private static IEnumerable<string> ValidateConfig(IConfigurationSection sink, IConfigurationSection section, IReadOnlyDictionary<string, string> config)
    {
        string Key(string property) => ConfigKeys.Describe(section, property);

        foreach (var (property, value) in config)
        {
            switch (property)
            {
                case "partitioner" when !string.Equals(value, RequiredPartitioner, StringComparison.Ordinal):
                    yield return $"{Key(property)} is '{value}'. Remove it: Relay always uses {RequiredPartitioner}, the Java client's key partitioning, so every client agrees on which partition owns a key.";
                    break;
                case "bootstrap.servers" or "metadata.broker.list":
                    yield return $"{Key(property)} is set. Remove it and set {ConfigKeys.Describe(sink, "BootstrapServers")} instead.";
                    break;
                case "transactional.id":
                    yield return $"{Key(property)} is set. Remove it: the transactional id is TransactionalIdPrefix + the source name, so each source fences its own older writers.";
                    break;
                case "transaction.timeout.ms":
                    yield return $"{Key(property)} is set. Remove it and set {ConfigKeys.Describe(sink, "TransactionTimeout")} instead.";
                    break;
                case "enable.idempotence" when !string.Equals(value, "true", StringComparison.OrdinalIgnoreCase):
                    yield return $"{Key(property)} is '{value}'. Remove it: Relay needs the idempotent producer so retries cannot duplicate or reorder messages.";
                    break;
                case "acks" or "request.required.acks" when value is not ("all" or "-1"):
                    yield return $"{Key(property)} is '{value}'. Remove it: Relay needs acks=all, the only setting with which a commit is durable.";
                    break;
                case "isolation.level":
                    yield return $"{Key(property)} is set. Remove it: Relay picks the isolation level that matches Delivery.";
                    break;
            }
        }
    }

    private static bool IsValidTopicName(string name) =>
        name.Length is > 0 and <= 249 && name is not ("." or "..") && TopicName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex TopicName();
}
