namespace Relay.Sinks.RabbitMq;

/// <summary>
/// The committed positions in the sources' position queues. Reading takes nothing away and needs no lock. A reset
/// takes the source's lock first, so it cannot run beside a relay publishing for the source: RabbitMQ offers no way to
/// fence a running relay from outside its connection, so the relay must be stopped first.
/// </summary>
internal sealed class RabbitMqPositionStore(RabbitMqSinkOptions options) : ISinkPositionStore
{
    private RabbitMqClient? _client;

    public RunningRelayOnReset RunningRelayOnReset => RunningRelayOnReset.ResetRefused;

    public async Task<SourcePosition?> ReadAsync(string sourceName, CancellationToken cancellationToken) =>
        await (await ConnectAsync(cancellationToken)).ReadPositionAsync(sourceName, cancellationToken);

    public async Task ResetAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken);
        if (!await client.TryLockAsync(sourceName, cancellationToken))
            throw new InvalidOperationException(
                $"a relay is publishing for source '{sourceName}' (it holds the lock queue '{client.LockQueue(sourceName)}'). Stop it, then reset: " +
                "RabbitMQ cannot fence a running relay from outside.");
        await client.ReadPositionAsync(sourceName, cancellationToken);
        await client.WritePositionAsync(sourceName, position, cancellationToken);
    }

    private async Task<RabbitMqClient> ConnectAsync(CancellationToken cancellationToken) =>
        _client ??= await RabbitMqClient.ConnectAsync(options, "relay-offsets", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _client = null;
    }
}
