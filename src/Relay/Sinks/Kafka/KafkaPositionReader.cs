using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Relay.Sinks.Kafka;

/// <summary>
/// Reads the offsets topic: a consumer by assignment only (no group membership, nothing committed)
/// and an admin client on its connections. Its metadata requests never auto-create the topic, as a
/// producer's would (an auto-created offsets topic would not be compacted).
/// </summary>
internal sealed class KafkaPositionReader : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly IAdminClient _admin;

    public KafkaPositionReader(ConsumerConfig config, KafkaClientEvents events)
    {
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler(events.OnLog)
            .SetErrorHandler(events.OnError)
            .Build();
        _admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
    }

    /// <summary>The topic's partition count, or null when it does not exist.</summary>
    public int? PartitionCount(string topic, TimeSpan timeout)
    {
        var metadata = _admin.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code == ErrorCode.UnknownTopicOrPart) return null;
        if (metadata.Error.IsError) throw new KafkaException(metadata.Error);
        if (metadata.Partitions.Count == 0)
            throw new KafkaException(new Error(ErrorCode.LeaderNotAvailable, $"The topic {topic} has no partitions yet."));
        return metadata.Partitions.Count;
    }

    /// <summary>The partition's end offset including undecided transactions (read_uncommitted high watermark).</summary>
    public async Task<Offset> EndOffsetAsync(TopicPartition partition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await _admin.ListOffsetsAsync(
                [new TopicPartitionOffsetSpec { TopicPartition = partition, OffsetSpec = OffsetSpec.Latest() }],
                new ListOffsetsOptions { IsolationLevel = IsolationLevel.ReadUncommitted, RequestTimeout = timeout })
            .WaitAsync(timeout + TimeSpan.FromSeconds(5), cancellationToken);
        return result.ResultInfos.Single().TopicPartitionOffsetError.Offset;
    }

    /// <summary>
    /// The last value of <paramref name="key"/> in the partition before <paramref name="end"/>. With
    /// read_committed the consumer stops at the first undecided transaction (other sources share the
    /// partition), so it waits until the read passes <paramref name="end"/> rather than stopping there.
    /// </summary>
    public SourcePosition? ReadLast(TopicPartition partition, byte[] key, Offset end, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        var started = Stopwatch.GetTimestamp();
        string? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(started) > timeout)
                throw new TimeoutException($"Reading the committed position from {partition} did not reach offset {end} within {timeout}.");

            var result = _consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null) continue;
            if (result.IsPartitionEOF)
            {
                if (result.Offset.Value >= end.Value) break;
                continue;
            }
            if (result.Message.Key is { } k && k.AsSpan().SequenceEqual(key))
                last = result.Message.Value is null ? null : Encoding.UTF8.GetString(result.Message.Value);
            if (result.Offset.Value >= end.Value - 1) break;
        }
        _consumer.Unassign();
        return last is null ? null : new SourcePosition(last);
    }

    public void Dispose()
    {
        _admin.Dispose();
        _consumer.Close();
        _consumer.Dispose();
    }
}
