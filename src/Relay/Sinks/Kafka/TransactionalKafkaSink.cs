using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Relay.Sinks.Kafka;

/// <summary>
/// Exactly-once publishing in the manner of Kafka Connect (KIP-618): each batch's messages and the
/// source position after it are written in one Kafka transaction, and the transactional id is
/// derived from the source name, so initialising fences (and aborts the open transaction of) any
/// older relay for the same source. Consumers read with isolation.level=read_committed.
/// </summary>
internal sealed class TransactionalKafkaSink(KafkaSinkOptions options, ILogger logger) : IOutboxSink
{
    // Aborting is best effort when giving up (the next producer's InitTransactions aborts anyway),
    // so it must not hold a restart for a whole transaction timeout.
    private static readonly TimeSpan MaxAbortWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    private KafkaSinkClient? _client;
    private string _sourceName = "";
    private bool _inTransaction;

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        if (_client is not null) throw new InvalidOperationException("The sink is already initialized.");
        _sourceName = sourceName;
        logger.LogInformation(
            "Source {Source}: Kafka sink (exactly-once) to {BootstrapServers}, transactional id {TransactionalId}, offsets topic {OffsetsTopic}, client settings: {Settings}",
            sourceName, options.BootstrapServers, options.TransactionalIdFor(sourceName), options.OffsetsTopic, new KafkaSecrets(options.Config).Describe(options.Config));

        _client = new KafkaSinkClient(options, sourceName, logger);
        var producer = _client.Producer;
        try
        {
            // Fences every older producer with this transactional id and aborts its open transaction,
            // so what is read back below can no longer change behind our back.
            await Task.Run(() => producer.InitTransactions(options.TransactionTimeout), cancellationToken);
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.TransactionalIdAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed)
        {
            throw new RelayFatalException(
                $"Source {sourceName}: Kafka refused the transactional producer ({e.Error.Code}). Grant the relay's principal WRITE and DESCRIBE on " +
                $"TransactionalId '{options.TransactionalIdFor(sourceName)}' (or the prefix '{options.TransactionalIdPrefix}') and IDEMPOTENT_WRITE on the cluster.");
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_UnsupportedFeature or ErrorCode.UnsupportedVersion)
        {
            throw new RelayFatalException(
                $"Source {sourceName}: the Kafka brokers do not support transactions ({e.Error.Code}). Set the sink's Delivery to AtLeastOnce.");
        }

        await _client.PrepareShardedTopicsAsync(cancellationToken);
        return await _client.ReadPositionAsync(options.TransactionTimeout, cancellationToken);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Call InitializeAsync first.");
        var producer = client.Producer;
        try
        {
            producer.BeginTransaction();
            _inTransaction = true;

            var delivery = new DeliveryTracker(messages.Count + 1);
            await client.ProduceAsync(messages, delivery, cancellationToken);
            await client.ProducePositionAsync(position, delivery, cancellationToken);
            // No linger holds the messages back (linger.ms 0 for transactions, KafkaClientSettings), so the reports come
            // as soon as the brokers acknowledge: no flush, which held a thread-pool thread in librdkafka for every batch.
            // The wait stops when the token fires.
            await delivery.WaitAsync(options.TransactionTimeout + Slack, cancellationToken);

            // Last chance to back out; once the commit starts it runs to its end, as a commit is all or nothing.
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => producer.CommitTransaction(options.TransactionTimeout), CancellationToken.None);
            _inTransaction = false;
        }
        catch (KafkaException e) when (KafkaErrors.IsFenced(e.Error, client.FatalError))
        {
            _inTransaction = false;
            throw Fenced(e);
        }
        catch (KafkaException e) when (KafkaErrors.IsFatal(e.Error, client.FatalError))
        {
            // Nothing can be aborted on a failed producer; the pipeline starts over with a new one.
            _inTransaction = false;
            throw;
        }
        catch (Exception e) when (_inTransaction)
        {
            // Abortable errors, timeouts and cancellation: the batch must not commit in part.
            // A failed delivery can be reported before the fatal error behind it; the abort then
            // fails with that error, which is how fencing shows up here.
            if (await AbortAsync(producer, e) is { } abortError && KafkaErrors.IsFenced(abortError.Error, client.FatalError))
                throw Fenced(abortError);
            throw;
        }
    }

    private SinkFencedException Fenced(KafkaException e) =>
        new($"The Kafka transactional id {options.TransactionalIdFor(_sourceName)} was taken over by another producer " +
            $"({_client?.Secrets.Scrub(e.Error.Reason)}).", e);

    /// <summary>Aborts the open transaction; returns the error when that is impossible (the caller decides what it means).</summary>
    private async Task<KafkaException?> AbortAsync(IProducer<byte[], byte[]> producer, Exception cause)
    {
        var wait = options.TransactionTimeout < MaxAbortWait ? options.TransactionTimeout : MaxAbortWait;
        try
        {
            await Task.Run(() => producer.AbortTransaction(wait));
            _inTransaction = false;
            logger.LogWarning("Source {Source}: aborted the Kafka transaction after {Error}", _sourceName, cause.GetType().Name);
            return null;
        }
        catch (KafkaException e)
        {
            if (e.Error.IsFatal) _inTransaction = false;
            // The next producer with this transactional id aborts it, as does the broker's transaction timeout.
            logger.LogWarning("Source {Source}: could not abort the Kafka transaction ({Code} {Reason}); it is left to fencing or the transaction timeout",
                _sourceName, e.Error.Code, _client?.Secrets.Scrub(e.Error.Reason));
            return e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is null) return;
        if (_inTransaction && _client.FatalError is null) await AbortAsync(_client.Producer, new OperationCanceledException());
        var client = _client;
        _client = null;
        await Task.Run(client.Dispose);
    }
}
