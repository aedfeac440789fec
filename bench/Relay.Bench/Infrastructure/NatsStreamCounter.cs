using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// Counts the messages a JetStream stream holds (its state's message count, as XLEN does for Redis). Zero until the
/// relay has created the stream.
/// </summary>
public sealed class NatsStreamCounter : TopicReader
{
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly string _stream;

    public NatsStreamCounter(string url, string stream) : base(null)
    {
        _connection = new NatsConnection(NatsOpts.Default with { Url = url, Name = "relay-bench-counter" });
        _js = new NatsJSContext(_connection);
        _stream = stream;
        Begin();
    }

    protected override void Poll(CancellationToken cancellationToken)
    {
        try
        {
            var stream = _js.GetStreamAsync(_stream, cancellationToken: cancellationToken).AsTask().GetAwaiter().GetResult();
            SetCount((long)stream.Info.State.Messages);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == 10059)
        {
            // Not created yet.
        }
        Thread.Sleep(5);
    }

    protected override void DisposeReader() => _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
