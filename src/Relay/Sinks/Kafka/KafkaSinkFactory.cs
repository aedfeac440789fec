using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The "Kafka" sink kind. Keys: BootstrapServers (required), Delivery (ExactlyOnce | AtLeastOnce),
/// OffsetsTopic, TransactionalIdPrefix, CreateOffsetsTopic, TransactionTimeout, and Config for raw
/// librdkafka properties (security.protocol, sasl.*, ssl.* ...).
/// </summary>
public sealed class KafkaSinkFactory : IOutboxSinkFactory
{
    public string Kind => "Kafka";

    public IEnumerable<string> Validate(SinkContext context)
    {
        var errors = new List<string>();
        KafkaSinkOptions.Parse(context.Section, errors);
        return errors;
    }

    public IOutboxSink Create(SinkContext context, string sourceName)
    {
        var errors = new List<string>();
        var options = KafkaSinkOptions.Parse(context.Section, errors)
            ?? throw new RelayFatalException(string.Join(Environment.NewLine, errors));
        var logger = (context.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .CreateLogger($"Relay.Sinks.Kafka.{context.Name}");
        return options.Delivery switch
        {
            KafkaDelivery.AtLeastOnce => new AtLeastOnceKafkaSink(options, logger),
            _ => new TransactionalKafkaSink(options, logger),
        };
    }
}
