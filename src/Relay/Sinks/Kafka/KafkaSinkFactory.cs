using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The "Kafka" sink kind. Keys: BootstrapServers (required), Delivery (ExactlyOnce | AtLeastOnce),
/// OffsetsTopic, TransactionalIdPrefix, CreateOffsetsTopic, TransactionTimeout, Shards (topic → partitions), and
/// Config for raw librdkafka properties (security.protocol, sasl.*, ssl.* ...).
/// </summary>
public sealed class KafkaSinkFactory : OutboxSinkFactory<KafkaSinkOptions>
{
    public override string Kind => "Kafka";

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, KafkaSinkOptions options) => options.Validate(section);

    public override ISinkPositionStore? CreatePositionStore(SinkContext context) =>
        new KafkaPositionStore(OptionsOf(context), (context.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .CreateLogger($"Relay.Sinks.Kafka.{context.Name}"));

    protected override IOutboxSink Create(SinkContext context, string sourceName, KafkaSinkOptions options)
    {
        var logger = (context.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .CreateLogger($"Relay.Sinks.Kafka.{context.Name}");
        return options.IsExactlyOnce ? new TransactionalKafkaSink(options, logger) : new AtLeastOnceKafkaSink(options, logger);
    }

    public override DeliveryGuarantee StrongestDelivery => DeliveryGuarantee.ExactlyOnce;

    protected internal override DeliveryGuarantee Delivery(KafkaSinkOptions options) =>
        options.IsExactlyOnce ? DeliveryGuarantee.ExactlyOnce : DeliveryGuarantee.AtLeastOnce;

    protected internal override string DeliveryDependsOn(KafkaSinkOptions options) => options.IsExactlyOnce
        ? "Kafka transactions (messages and position in one commit, the transactional id fencing older relays) and consumers reading with isolation.level=read_committed."
        : "the idempotent producer and acks=all; a crash publishes the batch in flight again.";
}
