using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;

namespace Relay.Sinks.RabbitMq;

/// <summary>
/// The "RabbitMQ" sink kind, at least once. Keys: Uri (required), Exchange, DeclareQueues, QueuePrefix, Heartbeat,
/// MaxInFlight, Shards.
/// </summary>
public sealed class RabbitMqSinkFactory : OutboxSinkFactory<RabbitMqSinkOptions>
{
    public override string Kind => "RabbitMQ";

    public override DeliveryGuarantee StrongestDelivery => DeliveryGuarantee.AtLeastOnce;

    protected internal override string DeliveryDependsOn(RabbitMqSinkOptions options) =>
        "publisher confirms of persistent messages before the position is written; RabbitMQ cannot store messages and a position in one commit, " +
        "so a crash publishes the batch in flight again (each message carries message-id = its event id for consumers to de-duplicate).";

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, RabbitMqSinkOptions options)
    {
        string Key(string key) => ConfigKeys.Describe(section, key);
        if (string.IsNullOrWhiteSpace(options.Uri))
            yield return $"{Key("Uri")} is missing. Set it to the broker, e.g. amqp://user:password@127.0.0.1:5672/.";
        else if (!System.Uri.TryCreate(options.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            yield return $"{Key("Uri")} is not an AMQP URI. Use amqp://user:password@host:5672/vhost (amqps:// for TLS).";
        if (string.IsNullOrEmpty(options.QueuePrefix))
            yield return $"{Key("QueuePrefix")} is empty. Leave it out for the default \"{RabbitMqSinkOptions.DefaultQueuePrefix}\".";
        if (options.Exchange.Length is 0 or > 255)
            yield return $"{Key("Exchange")} must be 1 to 255 characters (default {RabbitMqSinkOptions.DefaultExchange}): the default exchange cannot route by topic.";
        if (options.Heartbeat < TimeSpan.FromSeconds(1) || options.Heartbeat > TimeSpan.FromMinutes(10))
            yield return $"{Key("Heartbeat")} is {options.Heartbeat:c}. Set it between 00:00:01 and 00:10:00 (default 00:00:30).";
        if (options.MaxInFlight is < 1 or > 10_000)
            yield return $"{Key("MaxInFlight")} is {options.MaxInFlight}. Set it between 1 and 10000 (default 256).";
    }

    public override ISinkPositionStore? CreatePositionStore(SinkContext context) => new RabbitMqPositionStore(OptionsOf(context));

    protected override IOutboxSink Create(SinkContext context, string sourceName, RabbitMqSinkOptions options) =>
        new RabbitMqSink(options, (context.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger($"Relay.Sinks.RabbitMq.{context.Name}"));
}
