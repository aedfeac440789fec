using NATS.Client.JetStream;
using Relay.Sinks.Nats;
using Relay.Tests.Crash;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.Nats;

/// <summary>One message as a JetStream consumer reads it back.</summary>
public sealed record NatsRecord(string Subject, string? Id, string? Key, string Value, ulong Sequence);

/// <summary>
/// A test's own stream ("t&lt;guid&gt;", subjects "&lt;name&gt;.&gt;") and position bucket on the test NATS server, and a
/// reader of everything stored in the stream, in stream order. Disposing deletes both.
/// </summary>
public sealed class NatsTestKit : IAsyncDisposable
{
    private readonly NatsStreamReader _reader;

    private NatsTestKit(string url, string name)
    {
        Name = name;
        Options = new NatsSinkOptions
        {
            Url = url,
            Stream = name,
            StreamSubjects = name + ".>",
            PositionBucket = name,
        };
        _reader = new NatsStreamReader(url, name);
    }

    /// <summary>The stream's and bucket's name, and the first token of every subject of the test.</summary>
    public string Name { get; }

    public NatsSinkOptions Options { get; }

    public NatsJSContext JetStream => _reader.JetStream;

    public static async Task<NatsTestKit> CreateAsync() =>
        new(await TestServers.NatsAsync(), "t" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Every message of the stream, in stream order.</summary>
    public Task<IReadOnlyList<NatsRecord>> ReadAllAsync() => _reader.ReadRecordsAsync();

    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
