using System.Diagnostics;
using Confluent.Kafka;
using Relay.Sinks.Kafka;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Sinks.Kafka;

/// <summary>The sink against TestServers' cluster (librdkafka's mock unless a real one is configured).</summary>
[Collection("Kafka")]
public class KafkaSinkTests(ITestOutputHelper output) : IDisposable
{
    private KafkaTestKit? _kit;

    private async Task<KafkaTestKit> KitAsync() => _kit = new(await TestServers.KafkaAsync());

    // The sink's log, for reading a failure.
    public void Dispose()
    {
        foreach (var line in _kit?.Logs.Lines ?? []) output.WriteLine(line);
    }

    internal static OutboxMessage[] Batch(string topic, string prefix, int count, Func<int, string>? key = null) =>
        Enumerable.Range(0, count)
            .Select(i => KafkaTestKit.Message(topic, key?.Invoke(i) ?? $"agg-{i % 7}", $"{{\"n\":\"{prefix}-{i}\"}}", $"{prefix}-{i}"))
            .ToArray();

    [Fact]
    public async Task Published_messages_arrive_with_key_value_and_headers()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-publish");
        var source = KafkaTestKit.Unique("src");
        await using var sink = kit.CreateSink(source: source);

        Assert.Null(await sink.InitializeAsync(source, KafkaTestKit.Bounded()));
        var batch = Batch(topic, "a", 25);
        await sink.PublishAsync(batch, new SourcePosition("0/16B3748"), KafkaTestKit.Bounded());

        var records = kit.ReadTopic(topic, batch.Length, IsolationLevel.ReadCommitted);
        Assert.Equal(batch.Length, records.Count);
        foreach (var sent in batch)
        {
            var got = Assert.Single(records, r => KafkaTestKit.Header(r, "id") == sent.EventId);
            Assert.Equal(sent.Key, got.Message.Key);
            Assert.Equal(sent.Value, got.Message.Value);
            Assert.Equal("OrderCreated", KafkaTestKit.Header(got, "type"));
        }
        // Per-key order survives: within a key, the records are in batch order.
        foreach (var group in records.GroupBy(r => KafkaTestKit.Text(r.Message.Key)))
        {
            var ids = group.OrderBy(r => r.Offset.Value).Select(r => int.Parse(KafkaTestKit.Header(r, "id")[2..])).ToList();
            Assert.Equal(ids.Order().ToList(), ids);
        }
    }

    [Fact]
    public async Task Every_key_lands_on_the_partition_the_Java_partitioner_picks()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-partition");
        var source = KafkaTestKit.Unique("src");
        await using var sink = kit.CreateSink(source: source);
        await sink.InitializeAsync(source, KafkaTestKit.Bounded());

        var batch = Batch(topic, "p", 500, i => $"customer-{i}");
        await sink.PublishAsync(batch, new SourcePosition("p-500"), KafkaTestKit.Bounded());

        var partitions = kit.PartitionCount(topic);
        Assert.True(partitions > 1, "the topic needs several partitions for this test to mean anything");
        var records = kit.ReadTopic(topic, batch.Length);
        Assert.Equal(batch.Length, records.Count);
        foreach (var r in records)
            Assert.True(KafkaPartitioner.PartitionFor(r.Message.Key, partitions) == r.Partition.Value,
                $"key {KafkaTestKit.Text(r.Message.Key)} is on partition {r.Partition.Value}, the Java client would pick {KafkaPartitioner.PartitionFor(r.Message.Key, partitions)}");
        Assert.Equal(partitions, records.Select(r => r.Partition.Value).Distinct().Count());

        // The position record too sits where a reader hashing the source name looks for it.
        var offsets = kit.ReadTopic(KafkaSinkOptions.DefaultOffsetsTopic, 1)
            .Where(r => KafkaTestKit.Text(r.Message.Key) == source).ToList();
        var record = Assert.Single(offsets);
        Assert.Equal(KafkaPartitioner.PartitionFor(record.Message.Key, kit.PartitionCount(KafkaSinkOptions.DefaultOffsetsTopic)), record.Partition.Value);
    }

    [Fact]
    public async Task Many_batches_arrive_exactly_once_in_order_per_key()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-bulk");
        var source = KafkaTestKit.Unique("src");
        const int batches = 20, perBatch = 1000;
        var payload = new string('x', 200);
        await using var sink = kit.CreateSink(source: source);
        await sink.InitializeAsync(source, KafkaTestKit.Bounded());

        var clock = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++)
        {
            var batch = Enumerable.Range(0, perBatch)
                .Select(i => KafkaTestKit.Message(topic, $"agg-{i % 50}", payload, $"{b * perBatch + i}"))
                .ToArray();
            await sink.PublishAsync(batch, new SourcePosition($"{b}"), KafkaTestKit.Bounded());
        }
        clock.Stop();
        output.WriteLine($"{batches * perBatch} messages in {batches} transactions: {clock.Elapsed.TotalSeconds:F2} s, {batches * perBatch / clock.Elapsed.TotalSeconds:F0} msg/s");

        var records = kit.ReadTopic(topic, batches * perBatch);
        Assert.Equal(batches * perBatch, records.Count);
        Assert.Equal(batches * perBatch, records.Select(r => KafkaTestKit.Header(r, "id")).Distinct().Count());
        foreach (var group in records.GroupBy(r => KafkaTestKit.Text(r.Message.Key)))
        {
            var ids = group.OrderBy(r => r.Offset.Value).Select(r => int.Parse(KafkaTestKit.Header(r, "id"))).ToList();
            Assert.Equal(ids.Order().ToList(), ids);
        }
    }

    [Fact]
    public async Task A_new_sink_reads_back_the_last_committed_position()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-position");
        var source = KafkaTestKit.Unique("src");
        var other = KafkaTestKit.Unique("src");

        await using (var sink = kit.CreateSink(source: source))
        {
            Assert.Null(await sink.InitializeAsync(source, KafkaTestKit.Bounded()));
            for (var i = 1; i <= 3; i++)
                await sink.PublishAsync(Batch(topic, $"b{i}", 10), new SourcePosition($"0/{i:X8}"), KafkaTestKit.Bounded());
        }
        await using (var sink = kit.CreateSink(source: other))
        {
            await sink.InitializeAsync(other, KafkaTestKit.Bounded());
            await sink.PublishAsync(Batch(topic, "o", 1), new SourcePosition("other-position"), KafkaTestKit.Bounded());
        }

        await using var again = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("0/00000003"), await again.InitializeAsync(source, KafkaTestKit.Bounded()));
    }

    [Fact]
    public async Task Cancelling_a_publish_aborts_the_transaction_and_the_sink_goes_on()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-cancel");
        var source = KafkaTestKit.Unique("src");
        await using var sink = kit.CreateSink(source: source);
        await sink.InitializeAsync(source, KafkaTestKit.Bounded());
        await sink.PublishAsync(Batch(topic, "ok", 3), new SourcePosition("1"), KafkaTestKit.Bounded());

        // Cancelled half way: 500 of 1,000 messages are already in the open transaction.
        using var cancel = new CancellationTokenSource();
        var halfCancelled = new CancellingList(Batch(topic, "half", 1000), at: 500, cancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.PublishAsync(halfCancelled, new SourcePosition("half"), cancel.Token));

        await sink.PublishAsync(Batch(topic, "after", 3), new SourcePosition("3"), KafkaTestKit.Bounded());
        await using var reader = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("3"), await reader.InitializeAsync(source, KafkaTestKit.Bounded()));

        var committed = kit.ReadTopic(topic, 6, IsolationLevel.ReadCommitted).Select(r => KafkaTestKit.Header(r, "id")).ToList();
        Assert.Contains("after-2", committed);
        // The mock hands aborted records to read_committed readers; only a real cluster proves they stay hidden.
        if (!kit.Cluster.IsMock) Assert.Equal(6, committed.Count);
    }

    [Fact]
    public async Task A_failure_to_create_the_offsets_topic_only_warns()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-create");
        var source = KafkaTestKit.Unique("src");
        var offsets = KafkaTestKit.Unique("relay.offsets");
        await using var sink = kit.CreateSink(new Dictionary<string, string?> { ["OffsetsTopic"] = offsets, ["CreateOffsetsTopic"] = "true" }, source);

        Assert.Null(await sink.InitializeAsync(source, KafkaTestKit.Bounded()));
        await sink.PublishAsync(Batch(topic, "c", 3), new SourcePosition("1"), KafkaTestKit.Bounded());

        if (kit.Cluster.IsMock)
            Assert.Contains(kit.Logs.Lines, l => l.StartsWith("Warning") && l.Contains($"could not create the offsets topic {offsets}"));
        else
            Assert.Contains(kit.Logs.Lines, l => l.Contains($"created the compacted offsets topic {offsets}"));
        await using var again = kit.CreateSink(new Dictionary<string, string?> { ["OffsetsTopic"] = offsets }, source);
        Assert.Equal(new SourcePosition("1"), await again.InitializeAsync(source, KafkaTestKit.Bounded()));
    }

    [Fact]
    public async Task At_least_once_publishes_and_reads_back_its_position()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-alo");
        var source = KafkaTestKit.Unique("src");
        var settings = new Dictionary<string, string?> { ["Delivery"] = "AtLeastOnce", ["OffsetsTopic"] = "relay.offsets.alo" };

        await using (var sink = kit.CreateSink(settings, source))
        {
            Assert.Null(await sink.InitializeAsync(source, KafkaTestKit.Bounded()));
            await sink.PublishAsync(Batch(topic, "x", 20), new SourcePosition("lsn-20"), KafkaTestKit.Bounded());
            await sink.PublishAsync(Batch(topic, "y", 20), new SourcePosition("lsn-40"), KafkaTestKit.Bounded());
        }

        var records = kit.ReadTopic(topic, 40);
        Assert.Equal(40, records.Count);
        Assert.Equal(40, records.Select(r => KafkaTestKit.Header(r, "id")).Distinct().Count());
        await using var again = kit.CreateSink(settings, source);
        Assert.Equal(new SourcePosition("lsn-40"), await again.InitializeAsync(source, KafkaTestKit.Bounded()));
    }

    [Fact]
    public async Task Secrets_never_reach_the_logs_or_exceptions()
    {
        var kit = await KitAsync();
        var topic = KafkaTestKit.Unique("t-secret");
        var source = KafkaTestKit.Unique("src");
        const string password = "Pa55-w0rd-do-not-log";
        const string keyPassword = "k3y-pa55-do-not-log";
        var settings = new Dictionary<string, string?>
        {
            ["Config:sasl.username"] = "relay",
            ["Config:sasl.password"] = password,
            ["Config:ssl.key.password"] = keyPassword,
        };

        await using (var sink = kit.CreateSink(settings, source))
        {
            await sink.InitializeAsync(source, KafkaTestKit.Bounded());
            await sink.PublishAsync(Batch(topic, "s", 3), new SourcePosition("1"), KafkaTestKit.Bounded());
        }

        // A librdkafka error that quotes a configured value (here a password pasted into the wrong key).
        settings["Config:socket.timeout.ms"] = password;
        await using var broken = kit.CreateSink(settings, source);
        var error = await Assert.ThrowsAsync<RelayFatalException>(() => broken.InitializeAsync(source, KafkaTestKit.Bounded()));
        Assert.Contains("socket.timeout.ms", error.Message);

        var logs = string.Join("\n", kit.Logs.Lines);
        Assert.Contains("sasl.password=[redacted]", logs); // the settings were logged, redacted
        foreach (var secret in new[] { password, keyPassword })
        {
            Assert.DoesNotContain(secret, logs);
            Assert.DoesNotContain(secret, error.ToString());
        }
    }

    /// <summary>A batch that cancels the publish when the sink reaches a given message.</summary>
    private sealed class CancellingList(IReadOnlyList<OutboxMessage> inner, int at, CancellationTokenSource cancel) : IReadOnlyList<OutboxMessage>
    {
        public OutboxMessage this[int index]
        {
            get
            {
                if (index == at) cancel.Cancel();
                return inner[index];
            }
        }

        public int Count => inner.Count;
        public IEnumerator<OutboxMessage> GetEnumerator() => Enumerable.Range(0, Count).Select(i => this[i]).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
