using System.Diagnostics;
using Confluent.Kafka;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Sinks.Kafka;

/// <summary>
/// Fencing and broker outages. Each test that manipulates a mock cluster starts its own, so taking
/// brokers down or injecting errors never disturbs other tests sharing TestServers' cluster.
/// </summary>
[Collection("Kafka")]
public class KafkaSinkFailureTests(ITestOutputHelper output) : IDisposable
{
    private const short AddPartitionsToTxn = 24;
    private readonly List<KafkaTestKit> _kits = new();
    private readonly List<KafkaCluster> _privateMocks = new();

    private KafkaTestKit Kit(KafkaCluster cluster)
    {
        var kit = new KafkaTestKit(cluster);
        _kits.Add(kit);
        return kit;
    }

    private KafkaCluster PrivateMock()
    {
        var mock = KafkaCluster.StartMock(brokers: 3);
        _privateMocks.Add(mock);
        return mock;
    }

    public void Dispose()
    {
        foreach (var line in _kits.SelectMany(k => k.Logs.Lines)) output.WriteLine(line);
        foreach (var mock in _privateMocks) mock.MockHolder?.Dispose();
    }

    [Fact]
    public async Task A_second_sink_for_the_same_source_fences_the_first()
    {
        // librdkafka's mock hands a new producer id to every InitProducerId instead of bumping the epoch of the
        // transactional id's, so it never fences by itself: on a mock cluster of its own the test makes it answer
        // the old producer's next request the way a broker does after fencing (PRODUCER_FENCED). The real
        // two-producer case, where the second sink's InitTransactions does the fencing, is the test below.
        var cluster = PrivateMock();
        await AssertSecondSinkFencesFirstAsync(cluster, () => new MockClusterControl(cluster).PushRequestErrors(AddPartitionsToTxn, ErrorCode.ProducerFenced));
    }

    [SkippableFact]
    public async Task A_second_producer_of_the_source_fences_the_first_on_a_real_broker()
    {
        var cluster = await TestServers.KafkaAsync();
        Skip.If(cluster.IsMock,
            "Needs a real Kafka: librdkafka's mock cluster does not bump the producer epoch of a transactional id that a second " +
            "producer initialises, so nothing fences the first. Set RELAY_TEST_KAFKA_BOOTSTRAP or run where Docker is reachable.");
        await AssertSecondSinkFencesFirstAsync(cluster, beforeZombiePublish: null);
    }

    /// <summary>Two sinks of one source: once the second initialised, the first's next batch is refused whole and the second's lands.</summary>
    private async Task AssertSecondSinkFencesFirstAsync(KafkaCluster cluster, Action? beforeZombiePublish)
    {
        var kit = Kit(cluster);
        var topic = KafkaTestKit.Unique("t-fence");
        var source = KafkaTestKit.Unique("src");

        await using var first = kit.CreateSink(source: source);
        await first.InitializeAsync(source, KafkaTestKit.Bounded());
        await first.PublishAsync(KafkaSinkTests.Batch(topic, "first", 5), new SourcePosition("1"), KafkaTestKit.Bounded());

        await using var second = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("1"), await second.InitializeAsync(source, KafkaTestKit.Bounded()));

        beforeZombiePublish?.Invoke();
        var fenced = await Assert.ThrowsAsync<SinkFencedException>(
            () => first.PublishAsync(KafkaSinkTests.Batch(topic, "zombie", 5), new SourcePosition("zombie"), KafkaTestKit.Bounded()));
        Assert.Contains(source, fenced.Message);

        await second.PublishAsync(KafkaSinkTests.Batch(topic, "second", 5), new SourcePosition("2"), KafkaTestKit.Bounded());
        await using var third = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("2"), await third.InitializeAsync(source, KafkaTestKit.Bounded()));
        // The mock: read_uncommitted, the strictest view (nothing of the zombie's batch reached the log). A real
        // broker may hold the zombie's records in an aborted transaction, which only read_committed hides.
        var isolation = cluster.IsMock ? IsolationLevel.ReadUncommitted : IsolationLevel.ReadCommitted;
        var ids = kit.ReadTopic(topic, 10, isolation).Select(r => KafkaTestKit.Header(r, "id")).ToList();
        Assert.DoesNotContain(ids, id => id.StartsWith("zombie"));
        Assert.Equal(10, ids.Count);
    }

    [Fact]
    public async Task A_publish_during_an_outage_commits_nothing_and_publishing_resumes_when_the_brokers_return()
    {
        var cluster = PrivateMock();
        var control = new MockClusterControl(cluster);
        var kit = Kit(cluster);
        var topic = KafkaTestKit.Unique("t-outage");
        var source = KafkaTestKit.Unique("src");

        var sink = kit.CreateSink(source: source);
        await sink.InitializeAsync(source, KafkaTestKit.Bounded());
        await sink.PublishAsync(KafkaSinkTests.Batch(topic, "before", 10), new SourcePosition("1"), KafkaTestKit.Bounded());

        for (var broker = 1; broker <= 3; broker++) control.SetDown(broker);
        // The pipeline gives up on a batch when its token fires (shutdown, or the restart after an error).
        var clock = Stopwatch.StartNew();
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            var failure = await Record.ExceptionAsync(() =>
                sink.PublishAsync(KafkaSinkTests.Batch(topic, "during", 100), new SourcePosition("during"), giveUp.Token));
            Assert.NotNull(failure);
            output.WriteLine($"publish during the outage failed after {clock.Elapsed}: {failure.GetType().Name}: {failure.Message}");
        }
        await sink.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"giving up took {clock.Elapsed}");

        for (var broker = 1; broker <= 3; broker++) control.SetUp(broker);
        await using var restarted = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("1"), await restarted.InitializeAsync(source, KafkaTestKit.Bounded()));
        await restarted.PublishAsync(KafkaSinkTests.Batch(topic, "after", 10), new SourcePosition("2"), KafkaTestKit.Bounded());

        // read_uncommitted, the strictest view: not one record of the failed batch reached the log.
        var ids = kit.ReadTopic(topic, 20).Select(r => KafkaTestKit.Header(r, "id")).ToList();
        Assert.Equal(20, ids.Count);
        Assert.DoesNotContain(ids, id => id.StartsWith("during"));
        await using var reader = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("2"), await reader.InitializeAsync(source, KafkaTestKit.Bounded()));
    }

    [Fact]
    public async Task A_publish_waiting_out_a_short_outage_commits_the_whole_batch()
    {
        var cluster = PrivateMock();
        var control = new MockClusterControl(cluster);
        var kit = Kit(cluster);
        var topic = KafkaTestKit.Unique("t-blip");
        var source = KafkaTestKit.Unique("src");

        await using var sink = kit.CreateSink(source: source);
        await sink.InitializeAsync(source, KafkaTestKit.Bounded());
        await sink.PublishAsync(KafkaSinkTests.Batch(topic, "before", 10), new SourcePosition("1"), KafkaTestKit.Bounded());

        for (var broker = 1; broker <= 3; broker++) control.SetDown(broker);
        var publishing = sink.PublishAsync(KafkaSinkTests.Batch(topic, "during", 100), new SourcePosition("2"), KafkaTestKit.Bounded());
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(publishing.IsCompleted, "the publish cannot complete while every broker is down");
        for (var broker = 1; broker <= 3; broker++) control.SetUp(broker);
        await publishing.WaitAsync(KafkaTestKit.Timeout);

        var ids = kit.ReadTopic(topic, 110).Select(r => KafkaTestKit.Header(r, "id")).ToList();
        Assert.Equal(110, ids.Count);
        Assert.Equal(110, ids.Distinct().Count());
        await using var reader = kit.CreateSink(source: source);
        Assert.Equal(new SourcePosition("2"), await reader.InitializeAsync(source, KafkaTestKit.Bounded()));
    }
}
