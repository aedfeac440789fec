using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Relay.Sinks.Kafka;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sinks.Kafka;

namespace Relay.Tests.EndToEnd;

/// <summary>
/// The whole path as deployed: the relay process tails a PostgreSQL outbox and publishes to Kafka
/// (the mock cluster here, a real one when given). Checks keys, Java-compatible partitions, headers,
/// per-aggregate order, and a stop/start that resumes from the position committed in Kafka.
/// </summary>
[Collection("Kafka")]
public sealed class PostgresToKafkaTests
{
    private const int Aggregates = 20;

    [Fact]
    public async Task Wal_rows_reach_Kafka_keyed_partitioned_like_Java_in_order_and_resume_after_a_restart()
    {
        var cluster = await TestServers.KafkaAsync();
        var kit = new KafkaTestKit(cluster);
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var run = KafkaTestKit.Unique("e2e");
        var topic = run + ".order";
        var slot = run.Replace('-', '_');
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__orders__Kind"] = "PostgresReplication",
            ["Relay__Sources__orders__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__orders__Slot"] = slot,
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sinks__kafka__Kind"] = "Kafka",
            ["Relay__Sinks__kafka__BootstrapServers"] = cluster.BootstrapServers,
            ["Relay__Sinks__kafka__OffsetsTopic"] = run + ".offsets",
            ["Relay__Sinks__kafka__CreateOffsetsTopic"] = cluster.IsMock ? "false" : "true",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Relay.Pipeline"] = "Information",
        };

        using (var relay = RelayProcess.Start(env))
        {
            await db.WaitForSlotStreamingAsync(slot, () => relay.HasExited ? relay.Output : null);
            await InsertAsync(db, firstVersion: 1, perAggregate: 10);
            var records = kit.ReadTopic(topic, Aggregates * 10, IsolationLevel.ReadCommitted);
            AssertInOrder(records, Aggregates * 10, kit.PartitionCount(topic));
            Assert.All(records, r => Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", KafkaTestKit.Header(r, "traceparent")));
            var exitCode = await relay.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"Exit code {exitCode}:\n{relay.Output}");
        }

        // Rows committed while the relay is down are published once it is back, and nothing twice.
        await InsertAsync(db, firstVersion: 11, perAggregate: 5);
        using (var relay = RelayProcess.Start(env))
        {
            var records = kit.ReadTopic(topic, Aggregates * 15, IsolationLevel.ReadCommitted);
            AssertInOrder(records, Aggregates * 15, kit.PartitionCount(topic));
            Assert.Contains("resuming after committed position pgwal:", relay.Output);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
    }

    /// <summary>One transaction per round, each inserting one row per aggregate with the next version.</summary>
    private static async Task InsertAsync(PostgresDatabase db, int firstVersion, int perAggregate)
    {
        for (var v = firstVersion; v < firstVersion + perAggregate; v++)
        {
            await db.ExecuteAsync($"""
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent)
                SELECT 'order', 'agg-' || a, 'Changed', jsonb_build_object('version', {v}),
                       '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
                FROM generate_series(1, {Aggregates}) a
                """);
        }
    }

    private static void AssertInOrder(List<ConsumeResult<byte[], byte[]>> records, int expected, int partitions)
    {
        Assert.Equal(expected, records.Count);
        Assert.Equal(expected, records.Select(r => KafkaTestKit.Header(r, "id")).Distinct().Count());
        foreach (var byKey in records.GroupBy(r => Encoding.UTF8.GetString(r.Message.Key)))
        {
            Assert.All(byKey, r => Assert.Equal(KafkaPartitioner.PartitionFor(r.Message.Key, partitions), r.Partition.Value));
            var versions = byKey.OrderBy(r => r.Offset.Value)
                .Select(r => JsonDocument.Parse(r.Message.Value).RootElement.GetProperty("version").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count), versions);
            Assert.All(byKey, r => Assert.Equal("Changed", KafkaTestKit.Header(r, "type")));
        }
    }
}
