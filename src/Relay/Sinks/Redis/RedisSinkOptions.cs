namespace Relay.Sinks.Redis;

/// <summary>The keys of a Redis Streams sink (section Relay:Sinks:&lt;name&gt;).</summary>
public sealed class RedisSinkOptions : SinkOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. "127.0.0.1:6379,password=…". Never logged.</summary>
    public string? Configuration { get; set; }
    /// <summary>Prefix of the keys Relay keeps beside the streams: the offsets hash and the fencing epochs.</summary>
    public string KeyPrefix { get; set; } = "relay:";
    /// <summary>PEM file of the CA that issued the server's TLS certificate, when the system's trust store does not hold it.</summary>
    public string? CaCertificate { get; set; }
    /// <summary>PEM certificate for mutual TLS, with <see cref="ClientKey"/>.</summary>
    public string? ClientCertificate { get; set; }
    /// <summary>PEM private key of <see cref="ClientCertificate"/>. Secret: only its path is configured.</summary>
    public string? ClientKey { get; set; }
    /// <summary>When set, streams are trimmed to about this many entries (XADD MAXLEN ~).</summary>
    public int? MaxStreamLength { get; set; }
}
