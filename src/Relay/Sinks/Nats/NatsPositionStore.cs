using NATS.Client.Core;

namespace Relay.Sinks.Nats;

/// <summary>
/// The committed positions in the JetStream key-value bucket. Reading fences nobody. A reset writes the new position
/// (empty for --delete) without an expected revision, so the key's revision moves on and a running relay's next
/// commit, which expects the revision it wrote last, fails: it is fenced and starts over from the new position.
/// <see cref="CheckAsync"/> makes the sink's start-up check of the stream (<see cref="NatsClient.StreamProblem"/>).
/// </summary>
internal sealed class NatsPositionStore(NatsSinkOptions options, string sectionPath = "") : ISinkPositionStore
{
    private NatsClient? _client;

    public RunningRelayOnReset RunningRelayOnReset => RunningRelayOnReset.Fenced;

    public async Task<SourcePosition?> ReadAsync(string sourceName, CancellationToken cancellationToken) =>
        (await (await ConnectAsync(cancellationToken)).ReadAsync(sourceName, cancellationToken)).Position;

    public async Task ResetAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken);
        await client.Positions.PutAsync(NatsClient.KeyOf(sourceName), NatsClient.Encode(position), NatsRawSerializer<byte[]>.Default, cancellationToken);
    }

    public async Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken);
        var config = await client.StreamConfigAsync(options.Stream, cancellationToken);
        return NatsClient.StreamProblem(options.Stream, config, options.CreateStream, options, sectionPath) is { } problem ? [problem] : [];
    }

    private async Task<NatsClient> ConnectAsync(CancellationToken cancellationToken) =>
        _client ??= await NatsClient.ConnectAsync(options, "relay-offsets", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _client = null;
    }
}
