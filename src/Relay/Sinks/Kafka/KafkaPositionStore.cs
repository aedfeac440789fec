using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The committed positions in the offsets topic. Reading uses a consumer by assignment (no group, nothing
/// committed, no producer), so it fences nobody and creates nothing. A reset writes the new position (or a
/// tombstone, so the next start begins fresh) in a transaction of the source's own transactional id: with
/// Delivery=ExactlyOnce that fences the running relay, whose open transaction is aborted and whose next
/// commit fails, so it starts over from the new position. With Delivery=AtLeastOnce there is no transactional id to
/// fence with: a running relay's next commit writes over the reset, so the relay must be stopped first.
/// </summary>
internal sealed class KafkaPositionStore(KafkaSinkOptions options, ILogger logger) : ISinkPositionStore
{
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(10);

    public RunningRelayOnReset RunningRelayOnReset => options.IsExactlyOnce ? RunningRelayOnReset.Fenced : RunningRelayOnReset.NotFenced;

    public async Task<SourcePosition?> ReadAsync(string sourceName, CancellationToken cancellationToken)
    {
        var events = new KafkaClientEvents(logger, new KafkaSecrets(options.Config), sourceName);
        using var reader = new KafkaPositionReader(KafkaClientSettings.PositionReader(options, sourceName), events);
        var partitions = await Task.Run(() => reader.PartitionCount(options.OffsetsTopic, AdminTimeout), cancellationToken);
        if (partitions is null) return null;
        var key = Encoding.UTF8.GetBytes(sourceName);
        var partition = new TopicPartition(options.OffsetsTopic, KafkaPartitioner.PartitionFor(key, partitions.Value));
        var end = await reader.EndOffsetAsync(partition, AdminTimeout, cancellationToken);
        if (end.Value <= 0) return null;
        return await Task.Run(() => reader.ReadLast(partition, key, end, options.TransactionTimeout, cancellationToken), cancellationToken);
    }

    public async Task ResetAsync(string sourceName, SourcePosition? position, CancellationToken cancellationToken)
    {
        using var client = new KafkaSinkClient(options, sourceName, logger);
        var producer = client.Producer;
        var transactional = options.IsExactlyOnce;
        if (transactional) await Task.Run(() => producer.InitTransactions(options.TransactionTimeout), cancellationToken);
        // Creates the offsets topic when it is missing and CreateOffsetsTopic is on, as a relay would.
        await client.ReadPositionAsync(options.TransactionTimeout, cancellationToken);
        if (transactional) producer.BeginTransaction();
        var delivery = new DeliveryTracker(1);
        await client.ProducePositionAsync(position, delivery, cancellationToken);
        await delivery.WaitAsync(options.TransactionTimeout, cancellationToken);
        if (transactional) await Task.Run(() => producer.CommitTransaction(options.TransactionTimeout), CancellationToken.None);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
