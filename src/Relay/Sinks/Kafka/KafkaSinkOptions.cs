using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The keys of a Kafka sink (section Relay:Sinks:&lt;name&gt;). Values of secret-looking Config keys are never echoed.
/// </summary>
public sealed partial class KafkaSinkOptions : SinkOptions
{
    public const string DefaultOffsetsTopic = "relay.offsets";
    public const string DefaultTransactionalIdPrefix = "relay-";
    public static readonly TimeSpan DefaultTransactionTimeout = TimeSpan.FromMinutes(1);

    // Brokers cap transactions at transaction.max.timeout.ms, 15 minutes by default.
    private static readonly TimeSpan MaxTransactionTimeout = TimeSpan.FromMinutes(15);
    private const string RequiredPartitioner = "murmur2_random";

    public string? BootstrapServers { get; set; }
    public string OffsetsTopic { get; set; } = DefaultOffsetsTopic;
    public string TransactionalIdPrefix { get; set; } = DefaultTransactionalIdPrefix;
    public bool CreateOffsetsTopic { get; set; } = true;
    public TimeSpan TransactionTimeout { get; set; } = DefaultTransactionTimeout;

    /// <summary>
    /// Raw librdkafka properties (security.protocol, sasl.*, ssl.* ...). Nested keys flatten with '.', so
    /// "sasl:password" (handy as the environment variable ...__Config__sasl__password) is sasl.password.
    /// </summary>
    public Dictionary<string, string> Config { get; set; } = new(StringComparer.Ordinal);

    public string TransactionalIdFor(string sourceName) => TransactionalIdPrefix + sourceName;

    /// <summary>
    /// Delivery ExactlyOnce (the default): messages and the source position commit in one Kafka transaction and older
    /// relays are fenced. AtLeastOnce, for brokers without transactions: messages first, then the position.
    /// </summary>
    internal bool IsExactlyOnce => Delivery != DeliveryGuarantee.AtLeastOnce;

    /// <summary>The checks beyond the binder's, each naming the key and the fix.</summary>
    internal IEnumerable<string> Validate(IConfigurationSection section)
    {
        string Key(string key) => ConfigKeys.Describe(section, key);

        if (string.IsNullOrWhiteSpace(BootstrapServers))
            yield return $"{Key("BootstrapServers")} is missing. Set it to the brokers as host:port[,host:port...], e.g. broker1:9092,broker2:9092.";
        if (!IsValidTopicName(OffsetsTopic))
            yield return $"{Key("OffsetsTopic")} is '{OffsetsTopic}', which is not a valid Kafka topic name. Use at most 249 of a-z A-Z 0-9 . _ - (default {DefaultOffsetsTopic}).";
        if (TransactionalIdPrefix.Any(char.IsControl))
            yield return $"{Key("TransactionalIdPrefix")} contains control characters. Use printable characters (default {DefaultTransactionalIdPrefix}).";
        if (TransactionTimeout < TimeSpan.FromSeconds(1) || TransactionTimeout > MaxTransactionTimeout)
            yield return $"{Key("TransactionTimeout")} is {TransactionTimeout}. Set it between 00:00:01 and 00:15:00 (the brokers' default transaction.max.timeout.ms).";
        foreach (var problem in ValidateConfig(section, section.GetSection("Config"), Config)) yield return problem;
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
