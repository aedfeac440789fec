namespace Relay.Bench.Infrastructure;

public enum SinkKind
{
    Redis,
    Kafka,
    Nats,
    RabbitMq,
}
