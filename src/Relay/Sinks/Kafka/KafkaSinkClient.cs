using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Relay.Routing;

namespace Relay.Sinks.Kafka;

/// <summary>
/// What both Kafka sinks share: the producer (and an admin client riding on its connections), batch
/// producing with delivery tracking, the offsets topic, and reading the committed position back.
/// </summary>
internal sealed class KafkaSinkClient : IDisposable
{
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(10);

    private readonly KafkaSinkOptions _options;
    private readonly string _sourceName;
    private readonly byte[] _positionKey;
    private readonly KafkaClientEvents _events;
    private readonly ILogger _logger;
    private readonly IProducer<byte[], byte[]> _producer;
    // For topic creation only; rides on the producer's connections.
    private readonly IAdminClient _admin;
    private readonly ShardMap _shards;

    public KafkaSinkClient(KafkaSinkOptions options, string sourceName, ILogger logger)
    {
        _options = options;
        _sourceName = sourceName;
        _positionKey = Encoding.UTF8.GetBytes(sourceName);
        _logger = logger;
        _events = new KafkaClientEvents(logger, new KafkaSecrets(options.Config), sourceName);
        try
        {
            _producer = new ProducerBuilder<byte[], byte[]>(KafkaClientSettings.Producer(options, sourceName))
                .SetLogHandler(_events.OnLog)
                .SetErrorHandler(_events.OnError)
                .Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            // librdkafka's message may quote a configured value; scrub it and drop the inner exception, which is not scrubbed.
            throw new RelayFatalException(
                $"Source {sourceName}: the Kafka producer cannot be created: {_events.Secrets.Scrub(e.Message)}. Fix the sink's Config section.");
        }
        _admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        _shards = new ShardMap(options.Shards);
    }

    public IProducer<byte[], byte[]> Producer => _producer;

    /// <summary>The producer's fatal error, if it raised one (it is unusable afterwards).</summary>
    public Error? FatalError => _events.FatalError;

    public KafkaSecrets Secrets => _events.Secrets;

    /// <summary>Produces every message without waiting; the tracker sees each delivery report.</summary>
    public async ValueTask ProduceAsync(IReadOnlyList<OutboxMessage> messages, DeliveryTracker tracker, CancellationToken cancellationToken)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var m = messages[i];
            var message = new Message<byte[], byte[]> { Key = m.Key!, Value = m.Value!, Headers = ToHeaders(m.Headers) };
            // A sharded topic's partition is named, computed as the partitioner would (see ShardMap), so a topic with
            // fewer partitions than shards fails the batch instead of spreading keys differently.
            var shard = _shards.ShardOf(m);
            await ProduceOneAsync(new TopicPartition(m.Topic, shard >= 0 ? new Partition(shard) : Partition.Any), message, tracker, cancellationToken);
        }
    }

    /// <summary>
    /// Produces the position record: keyed by the source name, so compaction keeps the last one. A null
    /// position is a tombstone: the source then has no committed position (relay offsets reset --delete).
    /// </summary>
    public ValueTask ProducePositionAsync(SourcePosition? position, DeliveryTracker tracker, CancellationToken cancellationToken) =>
        ProduceOneAsync(new TopicPartition(_options.OffsetsTopic, Partition.Any),
            new Message<byte[], byte[]> { Key = _positionKey, Value = position is { } p ? Encoding.UTF8.GetBytes(p.Value) : null! },
            tracker, cancellationToken);

    private async ValueTask ProduceOneAsync(TopicPartition topic, Message<byte[], byte[]> message, DeliveryTracker tracker, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, tracker.Report);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue drains as the brokers acknowledge; a huge batch just waits for room.
                await Task.Delay(5, cancellationToken);
            }
        }
    }

    private static Headers? ToHeaders(IReadOnlyList<KeyValuePair<string, byte[]>> headers)
    {
        if (headers.Count == 0) return null;
        var result = new Headers();
        foreach (var (name, value) in headers) result.Add(name, value);
        return result;
    }

    /// <summary>
    /// The last position record for this source, or null when none. Creates the offsets topic
    /// (compacted) first when it is missing and CreateOffsetsTopic is on.
    /// </summary>
    public async Task<SourcePosition?> ReadPositionAsync(TimeSpan timeout, CancellationToken cancellationToken, bool createTopic = true)
    {
        using var reader = new KafkaPositionReader(KafkaClientSettings.PositionReader(_options, _sourceName), _events);
        var partitions = await Task.Run(() => reader.PartitionCount(_options.OffsetsTopic, AdminTimeout), cancellationToken);
        if (partitions is null && _options.CreateOffsetsTopic && createTopic)
        {
            await CreateOffsetsTopicAsync(cancellationToken);
            partitions = await Task.Run(() => reader.PartitionCount(_options.OffsetsTopic, AdminTimeout), cancellationToken);
        }
        if (partitions is null)
        {
            _logger.LogInformation("Source {Source}: the offsets topic {Topic} does not exist yet; nothing committed", _sourceName, _options.OffsetsTopic);
            return null;
        }

        var partition = new TopicPartition(_options.OffsetsTopic, KafkaPartitioner.PartitionFor(_positionKey, partitions.Value));
        var end = await reader.EndOffsetAsync(partition, AdminTimeout, cancellationToken);
        if (end.Value <= 0) return null;
        return await Task.Run(() => reader.ReadLast(partition, _positionKey, end, timeout, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Each sharded topic (the Shards key) must have exactly its number of partitions: one that is missing is created
    /// with them (a failure warns, as for the offsets topic), one with another number stops the relay.
    /// </summary>
    public async Task PrepareShardedTopicsAsync(CancellationToken cancellationToken)
    {
        if (!_shards.Any) return;
        using var reader = new KafkaPositionReader(KafkaClientSettings.PositionReader(_options, _sourceName), _events);
        foreach (var (topic, shards) in _shards.Topics)
        {
            var partitions = await Task.Run(() => reader.PartitionCount(topic, AdminTimeout), cancellationToken);
            if (partitions is null)
            {
                await CreateTopicAsync(new TopicSpecification { Name = topic, NumPartitions = shards, ReplicationFactor = -1 },
                    $"sharded topic ({shards} partitions)", "sharded topic", cancellationToken);
                continue;
            }
            if (partitions != shards)
                throw new RelayFatalException(
                    $"Kafka topic '{topic}' has {partitions} partitions, but the sink's Shards:{topic} is {shards}: shard numbers would not match the partitions " +
                    $"consumers read. Set Shards:{topic} to {partitions}, or give the topic {shards} partitions (a new topic: keys move when partitions are added).");
        }
    }

    /// <summary>Creates a topic; <paramref name="created"/> and <paramref name="what"/> name it in the log lines.</summary>
    private async Task CreateTopicAsync(TopicSpecification spec, string created, string what, CancellationToken cancellationToken)
    {
        try
        {
            await _admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = AdminTimeout, OperationTimeout = AdminTimeout })
                .WaitAsync(AdminTimeout + TimeSpan.FromSeconds(5), cancellationToken);
            _logger.LogInformation("Source {Source}: created the {Created} {Topic}", _sourceName, created, spec.Name);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == ErrorCode.TopicAlreadyExists))
        {
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            _logger.LogWarning("Source {Source}: could not create the {What} {Topic} ({Reason}); going on, expecting it to exist or be auto-created",
                _sourceName, what, spec.Name, Secrets.Scrub(e.Message));
        }
    }

    /// <summary>A failure only warns: some clusters forbid it, librdkafka's mock cannot, and auto-creation may still work.</summary>
    private Task CreateOffsetsTopicAsync(CancellationToken cancellationToken) =>
        CreateTopicAsync(new TopicSpecification
        {
            Name = _options.OffsetsTopic,
            NumPartitions = -1,     // broker defaults (Kafka 2.4+)
            ReplicationFactor = -1,
            Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
        }, "compacted offsets topic", "offsets topic", cancellationToken);

    public void Dispose()
    {
        _admin.Dispose();
        _producer.Dispose();
    }
}
