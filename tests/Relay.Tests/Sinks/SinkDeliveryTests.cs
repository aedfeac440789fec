using Microsoft.Extensions.Logging.Abstractions;
using Relay.Sinks.Kafka;
using Relay.Sinks.Nats;
using Relay.Sinks.RabbitMq;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks;

/// <summary>Every sink kind declares its guarantee; asking one for more than it gives stops the relay at start.</summary>
public class SinkDeliveryTests
{
    private static SinkContext Context(string kind, Dictionary<string, string?> settings)
    {
        var values = new Dictionary<string, string?> { ["Relay:Sinks:main:Kind"] = kind };
        foreach (var (key, value) in settings) values["Relay:Sinks:main:" + key] = value;
        return RelayServices.Sink(values, "main");
    }

    private static readonly Dictionary<string, (IOutboxSinkFactory Factory, Dictionary<string, string?> Required)> Kinds = new()
    {
        ["Kafka"] = (new KafkaSinkFactory(), new() { ["BootstrapServers"] = "broker:9092" }),
        ["Redis"] = (new RedisSinkFactory(NullLoggerFactory.Instance), new() { ["Configuration"] = "127.0.0.1:6379" }),
        ["Nats"] = (new NatsSinkFactory(), new() { ["Url"] = "nats://127.0.0.1:4222" }),
        ["RabbitMQ"] = (new RabbitMqSinkFactory(), new() { ["Uri"] = "amqp://relay:relay@127.0.0.1:5672/" }),
    };

    [Theory]
    [InlineData("Kafka", DeliveryGuarantee.ExactlyOnce)]
    [InlineData("Redis", DeliveryGuarantee.ExactlyOnce)]
    [InlineData("Nats", DeliveryGuarantee.ExactlyOnce)]
    [InlineData("RabbitMQ", DeliveryGuarantee.AtLeastOnce)]
    public void Each_kind_declares_its_guarantee_and_what_it_rests_on(string kind, DeliveryGuarantee expected)
    {
        var (factory, required) = Kinds[kind];
        var context = Context(kind, required);
        Assert.Empty(factory.Validate(context));
        Assert.Equal(expected, factory.Delivery(context));
        Assert.EndsWith(".", factory.DeliveryDependsOn(context));
    }

    [Fact]
    public void RabbitMQ_refuses_Delivery_ExactlyOnce_naming_the_key()
    {
        var (factory, required) = Kinds["RabbitMQ"];
        var error = Assert.Single(factory.Validate(Context("RabbitMQ", new(required) { ["Delivery"] = "ExactlyOnce" })));
        Assert.StartsWith("Relay:Sinks:main:Delivery (environment variable Relay__Sinks__main__Delivery) is ExactlyOnce, which a RabbitMQ sink cannot give", error);
        Assert.Contains("Set it to AtLeastOnce", error);
    }

    [Theory]
    [InlineData("Kafka")]
    [InlineData("Redis")]
    [InlineData("Nats")]
    public void Exactly_once_kinds_accept_Delivery_ExactlyOnce_and_Kafka_gives_at_least_once_on_request(string kind)
    {
        var (factory, required) = Kinds[kind];
        Assert.Empty(factory.Validate(Context(kind, new(required) { ["Delivery"] = "ExactlyOnce" })));
        var atLeastOnce = Context(kind, new(required) { ["Delivery"] = "AtLeastOnce" });
        Assert.Empty(factory.Validate(atLeastOnce));
        Assert.Equal(kind == "Kafka" ? DeliveryGuarantee.AtLeastOnce : DeliveryGuarantee.ExactlyOnce, factory.Delivery(atLeastOnce));
    }

    [Fact]
    public void Shards_are_bound_from_nested_keys_and_checked()
    {
        var (factory, required) = Kinds["Redis"];
        // The environment-variable spelling Relay__Sinks__main__Shards__outbox__event__order flattens to the topic's dots.
        var context = Context("Redis", new(required) { ["Shards:outbox:event:order"] = "4", ["Shards:relay.deadletter"] = "2" });
        Assert.Empty(factory.Validate(context));
        var options = RelayServices.Options<RedisSinkOptions>(context);
        Assert.Equal(new Dictionary<string, int> { ["outbox.event.order"] = 4, ["relay.deadletter"] = 2 }, options.Shards);

        var errors = factory.Validate(Context("Redis", new(required) { ["Shards:orders"] = "0", ["Shards:invoices"] = "many", ["Shards:bad topic"] = "2" })).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:main:Shards:orders (environment variable Relay__Sinks__main__Shards__orders) is 0. Set it between 1 and"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:main:Shards:invoices (environment variable Relay__Sinks__main__Shards__invoices) is 'many'. Set it to a whole number"));
        Assert.Contains(errors, e => e.StartsWith("Relay:Sinks:main:Shards:bad topic ") && e.Contains("not a valid topic name"));
    }
}
