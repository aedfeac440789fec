using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Relay.Sinks.Nats;
using Relay.Tests.Sinks.Nats;

namespace Relay.Tests.Crash;

/// <summary>Reads a JetStream stream from its start with an ordered consumer, as a consumer would; deletes the stream and its position bucket at the end.</summary>
public sealed class NatsStreamReader : ISinkReader
{
    private readonly NatsConnection _connection;
    private readonly string _stream;

    /// <param name="stream">The stream, which is also the name of the relay's position bucket in these tests.</param>
    public NatsStreamReader(string url, string stream)
    {
        _connection = new NatsConnection(NatsOpts.Default with { Url = url });
        JetStream = new NatsJSContext(_connection);
        _stream = stream;
    }

    public NatsJSContext JetStream { get; }

    public async Task<long> CountAsync()
    {
        try
        {
            return (long)(await JetStream.GetStreamAsync(_stream)).Info.State.Messages;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return 0;
        }
    }

    /// <summary>Every message of the stream, in stream order.</summary>
    public async Task<IReadOnlyList<NatsRecord>> ReadRecordsAsync()
    {
        var count = await CountAsync();
        var all = new List<NatsRecord>();
        if (count == 0) return all;
        var consumer = await JetStream.CreateOrderedConsumerAsync(_stream);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (all.Count < count)
        {
            await foreach (var msg in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(2) },
                               NatsRawSerializer<byte[]>.Default, timeout.Token))
            {
                all.Add(new NatsRecord(msg.Subject, Header(msg.Headers, "id"), Header(msg.Headers, NatsSink.KeyHeader),
                    Encoding.UTF8.GetString(msg.Data ?? []), msg.Metadata?.Sequence.Stream ?? 0));
            }
        }
        return all;
    }

    private static string? Header(NatsHeaders? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    public async Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync() =>
        (await ReadRecordsAsync()).Select(r => DeliveredMessage.Parse(r.Subject, r.Id!, r.Key!, r.Value)).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in new[] { _stream, "KV_" + _stream })
        {
            try { await JetStream.DeleteStreamAsync(stream); }
            catch (NatsJSApiException) { }
        }
        await _connection.DisposeAsync();
    }
}
