namespace Relay.Sinks.RabbitMq;

/// <summary>The keys of a RabbitMQ sink (section Relay:Sinks:&lt;name&gt;).</summary>
public sealed class RabbitMqSinkOptions : SinkOptions
{
    public const string DefaultExchange = "relay";
    public const string DefaultQueuePrefix = "relay.";

    /// <summary>The AMQP URI, e.g. amqp://user:password@host:5672/vhost (amqps:// for TLS). Secret: never logged.</summary>
    public string? Uri { get; set; }

    /// <summary>The durable topic exchange every message is published to, with the routing key "&lt;topic&gt;" or "&lt;topic&gt;.&lt;shard&gt;".</summary>
    public string Exchange { get; set; } = DefaultExchange;

    /// <summary>
    /// Declare the exchange, and for each routing key a durable queue of that name bound to it, on first use. Off: the
    /// topology is the operator's, and a message no queue takes fails the batch (it is published mandatory).
    /// </summary>
    public bool DeclareQueues { get; set; } = true;

    /// <summary>Prefix of the queues Relay keeps for itself: "&lt;prefix&gt;position.&lt;source&gt;" and the lock "&lt;prefix&gt;lock.&lt;source&gt;".</summary>
    public string QueuePrefix { get; set; } = DefaultQueuePrefix;

    /// <summary>AMQP heartbeat: how long the broker takes to notice a relay cut off by the network (a killed one it notices at once).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most messages awaiting their publisher confirm at once.</summary>
    public int MaxInFlight { get; set; } = 256;
}
