using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Relay.Sinks.Nats;

namespace Relay.Tests.Crash;

/// <summary>Reads a JetStream stream from its start with an ordered consumer, as a consumer would; deletes the stream and its position bucket at the end.</summary>
public sealed class NatsStreamReader : ISinkReader
{
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly string _stream;

    /// <param name="stream">The stream, which is also the name of the relay's position bucket in these tests.</param>
    public NatsStreamReader(string url, string stream)
    {
        _connection = new NatsConnection(NatsOpts.Default with { Url = url });
        _js = new NatsJSContext(_connection);
        _stream = stream;
    }

    public async Task<long> CountAsync()
    {
        try
        {
            return (long)(await _js.GetStreamAsync(_stream)).Info.State.Messages;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return 0;
        }
    }

    public async Task<IReadOnlyList<DeliveredMessage>> ReadAllAsync()
    {
        var count = await CountAsync();
        var all = new List<DeliveredMessage>();
        if (count == 0) return all;
        var consumer = await _js.CreateOrderedConsumerAsync(_stream);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (all.Count < count)
        {
            await foreach (var msg in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(2) },
                               NatsRawSerializer<byte[]>.Default, timeout.Token))
            {
                all.Add(DeliveredMessage.Parse(msg.Subject, msg.Headers!["id"].ToString(), msg.Headers[NatsSink.KeyHeader].ToString(),
                    Encoding.UTF8.GetString(msg.Data ?? [])));
            }
        }
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in new[] { _stream, "KV_" + _stream })
        {
            try { await _js.DeleteStreamAsync(stream); }
            catch (NatsJSApiException) { }
        }
        await _connection.DisposeAsync();
    }
}
