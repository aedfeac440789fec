using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Relay.Sinks.Nats;
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
    private readonly NatsConnection _connection;

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
        _connection = new NatsConnection(NatsOpts.Default with { Url = url });
        JetStream = new NatsJSContext(_connection);
    }

    /// <summary>The stream's and bucket's name, and the first token of every subject of the test.</summary>
    public string Name { get; }

    public NatsSinkOptions Options { get; }

    public NatsJSContext JetStream { get; }

    public static async Task<NatsTestKit> CreateAsync() =>
        new(await TestServers.NatsAsync(), "t" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Messages stored in the stream now (0 before the stream exists).</summary>
    public async Task<long> CountAsync()
    {
        try
        {
            return (long)(await JetStream.GetStreamAsync(Name)).Info.State.Messages;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return 0;
        }
    }

    /// <summary>Every message of the stream, in stream order.</summary>
    public async Task<IReadOnlyList<NatsRecord>> ReadAllAsync()
    {
        var count = await CountAsync();
        var all = new List<NatsRecord>();
        if (count == 0) return all;
        var consumer = await JetStream.CreateOrderedConsumerAsync(Name);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (all.Count < count)
        {
            await foreach (var msg in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(2) },
                               NatsRawSerializer<byte[]>.Default, timeout.Token))
            {
                all.Add(new NatsRecord(msg.Subject, Header(msg.Headers, "id"), Header(msg.Headers, NatsSink.KeyHeader),
                    System.Text.Encoding.UTF8.GetString(msg.Data ?? []), msg.Metadata?.Sequence.Stream ?? 0));
            }
        }
        return all;
    }

    private static string? Header(NatsHeaders? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in new[] { Name, "KV_" + Name })
        {
            try { await JetStream.DeleteStreamAsync(stream); }
            catch (NatsJSApiException) { }
        }
        await _connection.DisposeAsync();
    }
}
