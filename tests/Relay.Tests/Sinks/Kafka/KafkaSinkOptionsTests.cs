using Relay.Sinks.Kafka;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.Kafka;

public class KafkaSinkOptionsTests
{
    private static readonly KafkaTestKit Kit = new(new KafkaCluster("broker:9092", isMock: false, holder: null));

    private static List<string> Validate(Dictionary<string, string?> settings) =>
        new KafkaSinkFactory().Validate(Kit.Context(settings)).ToList();

    [Fact]
    public void Defaults_are_exactly_once_with_the_documented_names()
    {
        var options = RelayServices.Options<KafkaSinkOptions>(Kit.Context());

        Assert.Null(options.Delivery);
        Assert.Equal(DeliveryGuarantee.ExactlyOnce, new KafkaSinkFactory().Delivery(Kit.Context()));
        Assert.Equal("relay.offsets", options.OffsetsTopic);
        Assert.Equal("relay-orders", options.TransactionalIdFor("orders"));
        Assert.True(options.CreateOffsetsTopic);
    }

    [Fact]
    public void Each_problem_is_one_message_naming_the_key_in_both_spellings()
    {
        var errors = Validate(new()
        {
            ["BootstrapServers"] = "",
            ["Delivery"] = "Sometimes",
            ["OffsetsTopic"] = "bad topic!",
            ["CreateOffsetsTopic"] = "perhaps",
            ["TransactionTimeout"] = "soon",
            ["Config:partitioner"] = "consistent_random",
        });

        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:BootstrapServers (environment variable Relay__Sinks__kafka__BootstrapServers) is missing"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:Delivery ") && e.Contains("AtLeastOnce"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:OffsetsTopic ") && e.Contains("not a valid Kafka topic name"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:CreateOffsetsTopic ") && e.Contains("true or false"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:TransactionTimeout ") && e.Contains("00:01:00"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:kafka:Config:partitioner (environment variable Relay__Sinks__kafka__Config__partitioner)")
                                     && e.Contains("murmur2_random"));
    }

    [Theory]
    [InlineData("transactional.id", "x", "TransactionalIdPrefix")]
    [InlineData("enable.idempotence", "false", "idempotent")]
    [InlineData("acks", "1", "acks=all")]
    [InlineData("bootstrap.servers", "b:9092", "Relay:Sinks:kafka:BootstrapServers")]
    [InlineData("transaction.timeout.ms", "1000", "Relay:Sinks:kafka:TransactionTimeout")]
    [InlineData("isolation.level", "read_uncommitted", "Delivery")]
    public void Config_may_not_override_what_the_guarantees_rest_on(string property, string value, string fix)
    {
        var error = Assert.Single(Validate(new() { [$"Config:{property}"] = value }));
        Assert.StartsWith($"Relay:Sinks:kafka:Config:{property} ", error);
        Assert.Contains(fix, error);
    }

    [Fact]
    public void Murmur2_partitioner_and_nested_config_keys_are_accepted()
    {
        var options = RelayServices.Options<KafkaSinkOptions>(Kit.Context(new Dictionary<string, string?>
        {
            ["Delivery"] = "atleastonce",
            ["TransactionTimeout"] = "00:02:00",
            ["Config:partitioner"] = "murmur2_random",
            ["Config:security.protocol"] = "SASL_SSL",
            // The environment-variable spelling Relay__Sinks__kafka__Config__sasl__password.
            ["Config:sasl:password"] = "pw",
        }));

        Assert.Equal(DeliveryGuarantee.AtLeastOnce, options.Delivery);
        Assert.Equal("pw", options.Config["sasl.password"]);
        Assert.Equal(TimeSpan.FromMinutes(2), options.TransactionTimeout);
        Assert.Equal("SASL_SSL", options.Config["security.protocol"]);
        Assert.Equal("pw", options.Config["sasl.password"]);
    }

    [Fact]
    public void Secrets_are_redacted_in_descriptions_and_scrubbed_from_text()
    {
        var config = new Dictionary<string, string>
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.username"] = "relay",
            ["sasl.password"] = "s3cr3t-pass",
            ["ssl.key.password"] = "k3y-pass",
            ["sasl.oauthbearer.client.secret"] = "client-s3cr3t",
            ["sasl.jaas.config"] = "org.apache... password=\"j44s\"",
        };

        var described = new KafkaSecrets(config).Describe(config);
        Assert.Contains("security.protocol=SASL_SSL", described);
        Assert.Contains("sasl.username=relay", described);
        Assert.Contains("sasl.password=[redacted]", described);
        foreach (var secret in new[] { "s3cr3t-pass", "k3y-pass", "client-s3cr3t", "j44s" }) Assert.DoesNotContain(secret, described);

        var scrubbed = new KafkaSecrets(config).Scrub("auth failed for s3cr3t-pass and k3y-pass");
        Assert.Equal("auth failed for [redacted] and [redacted]", scrubbed);
    }
}
