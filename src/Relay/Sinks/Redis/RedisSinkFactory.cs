using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Relay.Sinks.Redis;

/// <summary>Settings of a Redis Streams sink (section Relay:Sinks:&lt;name&gt;).</summary>
public sealed class RedisSinkOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. "127.0.0.1:6379,password=…". Never logged.</summary>
    public string? Configuration { get; set; }
    /// <summary>Prefix of the keys Relay keeps beside the streams: the offsets hash and the fencing epochs.</summary>
    public string KeyPrefix { get; set; } = "relay:";
    /// <summary>When set, streams are trimmed to about this many entries (XADD MAXLEN ~).</summary>
    public int? MaxStreamLength { get; set; }
}

public sealed class RedisSinkFactory(ILoggerFactory loggerFactory) : IOutboxSinkFactory
{
    public string Kind => "Redis";

    public IEnumerable<string> Validate(SinkContext context)
    {
        var options = context.Section.Get<RedisSinkOptions>() ?? new RedisSinkOptions();
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            yield return $"{ConfigKeys.Describe(context.Section, "Configuration")} is missing. Set it to the Redis address, e.g. 127.0.0.1:6379.";
        }
        else
        {
            string? problem = null;
            try { ConfigurationOptions.Parse(options.Configuration); }
            catch (ArgumentException e) { problem = e.Message.Replace(options.Configuration, "…"); }
            if (problem is not null)
                yield return $"{ConfigKeys.Describe(context.Section, "Configuration")} cannot be parsed ({problem}). Use host:port[,password=…].";
        }
        if (string.IsNullOrEmpty(options.KeyPrefix))
            yield return $"{ConfigKeys.Describe(context.Section, "KeyPrefix")} is empty. Leave it out for the default \"relay:\".";
        if (options.MaxStreamLength is <= 0)
            yield return $"{ConfigKeys.Describe(context.Section, "MaxStreamLength")} must be positive, or left out to keep every entry.";
    }

    public IOutboxSink Create(SinkContext context, string sourceName) =>
        new RedisSink(context.Section.Get<RedisSinkOptions>() ?? new RedisSinkOptions(), loggerFactory.CreateLogger<RedisSink>());
}
