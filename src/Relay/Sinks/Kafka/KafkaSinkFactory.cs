using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The "Kafka" sink kind. Keys: BootstrapServers (required), Delivery (ExactlyOnce | AtLeastOnce),
/// OffsetsTopic, TransactionalIdPrefix, CreateOffsetsTopic, TransactionTimeout, and Config for raw
/// librdkafka properties (security.protocol, sasl.*, ssl.* ...).
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
        return options.Delivery switch
        {
            KafkaDelivery.AtLeastOnce => new AtLeastOnceKafkaSink(options, logger),
            _ => new TransactionalKafkaSink(options, logger),
        };
    }
}
