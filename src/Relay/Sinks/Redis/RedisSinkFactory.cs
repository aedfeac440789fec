using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Relay.Hosting.Options;
using StackExchange.Redis;

namespace Relay.Sinks.Redis;

/// <summary>
/// The "Redis" sink kind: Redis Streams, one stream per topic (per shard of a sharded topic: "&lt;topic&gt;.&lt;shard&gt;"). Keys: Configuration (required), KeyPrefix,
/// MaxStreamLength, and for TLS beside ssl=true in Configuration: CaCertificate, ClientCertificate, ClientKey.
/// </summary>
public sealed class RedisSinkFactory(ILoggerFactory loggerFactory) : OutboxSinkFactory<RedisSinkOptions>
{
    public override string Kind => "Redis";

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, RedisSinkOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            yield return $"{ConfigKeys.Describe(section, "Configuration")} is missing. Set it to the Redis address, e.g. 127.0.0.1:6379.";
        }
        else
        {
            string? problem = null;
            try { ConfigurationOptions.Parse(options.Configuration); }
            catch (ArgumentException e) { problem = e.Message.Replace(options.Configuration, "…"); }
            if (problem is not null)
                yield return $"{ConfigKeys.Describe(section, "Configuration")} cannot be parsed ({problem}). Use host:port[,password=…].";
        }
        foreach (var (key, path) in new[] { ("CaCertificate", options.CaCertificate), ("ClientCertificate", options.ClientCertificate), ("ClientKey", options.ClientKey) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
                yield return $"{ConfigKeys.Describe(section, key)} names '{path}', which does not exist. Give the path of a PEM file readable by the relay.";
        if (string.IsNullOrEmpty(options.ClientCertificate) != string.IsNullOrEmpty(options.ClientKey))
            yield return $"{ConfigKeys.Describe(section, "ClientCertificate")} and {ConfigKeys.Describe(section, "ClientKey")} go together: set both for mutual TLS, or neither.";
        if (string.IsNullOrEmpty(options.KeyPrefix))
            yield return $"{ConfigKeys.Describe(section, "KeyPrefix")} is empty. Leave it out for the default \"relay:\".";
        if (options.MaxStreamLength is <= 0)
            yield return $"{ConfigKeys.Describe(section, "MaxStreamLength")} must be positive, or left out to keep every entry.";
    }

    public override DeliveryGuarantee StrongestDelivery => DeliveryGuarantee.ExactlyOnce;

    protected internal override string DeliveryDependsOn(RedisSinkOptions options) =>
        "Redis running each batch's script (entries, position, epoch check) atomically, and its persistence (AOF with appendfsync always, or WAIT on replicas) for what a crash of Redis itself could lose.";

    public override ISinkPositionStore? CreatePositionStore(SinkContext context) => new RedisPositionStore(OptionsOf(context));

    protected override IOutboxSink Create(SinkContext context, string sourceName, RedisSinkOptions options) =>
        new RedisSink(options, loggerFactory.CreateLogger<RedisSink>());
}
