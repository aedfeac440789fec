using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Relay.Health;
using Relay.Hosting;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.Postgres.Replication;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Polling;
using Relay.Tests.Sources.Postgres.Replication;
using static Relay.Tests.Sources.Postgres.Replication.ReplicationTestKit;

namespace Relay.Tests.Telemetry;

/// <summary>The Relay meter and activity source after a known workload, read through OpenTelemetry's in-memory exporters.</summary>
public sealed class RelayMetricsTests
{
    private const string Tp1 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string Tp2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public async Task Log_tailing_workload_counts_per_destination_links_producer_traces_and_reports_lag()
    {
        // A cluster of its own: on the shared server other tests write WAL all the time, so the slot is never caught up
        // with the end of the WAL, and lag 0 could not be seen.
        await using var server = await PostgresInstance.StartAsync();
        await using var db = await PostgresDatabase.CreateOnAsync(server.AdminConnectionString);
        await db.CreateOutboxAsync();
        var source = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var context = Context(db.ConnectionString, source, Settings(db, new Dictionary<string, string?>
        {
            ["Outbox:TopicTemplate"] = "{aggregatetype}",
            ["Outbox:DeadLetterTopic"] = "dead",
            ["StatusInterval"] = "00:00:00.2",
        }));

        using var metrics = new MetricReader();
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(RelayTelemetry.Name).AddInMemoryExporter(spans).Build();
        var states = new SourceStates();
        var status = states.Register(source, PostgresReplicationSourceFactory.KindName, "recording");
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new RelayTelemetry(services.GetRequiredService<IMeterFactory>(), states);
        var store = new RecordingStore();
        var factory = new PostgresReplicationSourceFactory();
        var pipeline = new SourcePipeline(source, () => factory.Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<PostgresReplicationOptions>(context).Outbox, source), 1000, telemetry, NullLogger.Instance, status) { MessagingSystem = "redis" };
        var scrubber = new SecretScrubber(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var sampler = new LagSampler(status, () => factory.CreateLagProbe(context), TimeSpan.FromMilliseconds(200), telemetry, scrubber, NullLogger.Instance);

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var running = pipeline.RunAsync(stop.Token);
        var sampling = sampler.RunAsync(stop.Token);
        try
        {
            await CheckAsync();
        }
        finally
        {
            // The slot must be released before the database is dropped, whatever failed.
            await stop.CancelAsync();
            await Task.WhenAll(running, sampling).WaitAsync(Wait);
        }
        await CheckLagGrowsAsync();

        async Task CheckAsync()
        {
        await WaitForSlotActiveAsync(db);
        Assert.Equal(1, metrics.Gauge("relay.pipeline.state", ("source", source), ("state", "streaming")));
        Assert.Equal(1, metrics.Gauge("relay.source.active", ("source", source)));

        // One transaction, so one batch: 4 orders (two traces, one repeated, one row without), 2 invoices,
        // a row routed normally to the topic named like the dead-letter topic, and one unroutable row.
        await db.ExecuteAsync($$"""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent) VALUES
              ('order', 'o1', 'Created', '{"n":1}', '{{Tp1}}'),
              ('order', 'o1', 'Paid', '{"n":2}', '{{Tp1}}'),
              ('order', 'o2', 'Created', '{"n":3}', '{{Tp2}}'),
              ('order', 'o3', 'Created', '{"n":4}', NULL),
              ('invoice', 'i1', 'Issued', '{"n":5}', NULL),
              ('invoice', 'i2', 'Issued', '{"n":6}', NULL),
              ('dead', 'd1', 'Named', '{"n":7}', NULL),
              ('order line', 'x1', 'Poison', '{"n":8}', NULL)
            """);
        // Counted once the sink commit returned, a moment after the messages are in the sink.
        await EventuallyAsync(() => Task.FromResult(metrics.Sum("relay.batches.committed", ("source", source)) == 1), "the batch committed");
        Assert.Equal(8, store.Messages.Count);

        var sent = store.Messages;
        long BytesTo(string topic) => sent.Where(m => m.Topic == topic && !m.IsDeadLetter)
            .Sum(m => (m.Key?.Length ?? 0) + (m.Value?.Length ?? 0) + m.Headers.Sum(h => h.Key.Length + h.Value.Length));

        (string, string) Src = ("source", source);
        (string, string) To(string topic) => ("messaging.destination.name", topic);
        Assert.Equal(4, metrics.Sum("relay.messages.published", Src, To("order"), ("messaging.system", "redis")));
        Assert.Equal(2, metrics.Sum("relay.messages.published", Src, To("invoice")));
        Assert.Equal(1, metrics.Sum("relay.messages.published", Src, To("dead")));
        Assert.Equal(7, metrics.Sum("relay.messages.published", Src));
        Assert.Equal(1, metrics.Sum("relay.messages.dead_lettered", Src, To("dead")));
        Assert.Equal(BytesTo("order"), metrics.Sum("relay.messages.published.size", Src, To("order")));
        Assert.Equal(BytesTo("dead"), metrics.Sum("relay.messages.published.size", Src, To("dead")));
        Assert.Equal(1, metrics.Sum("relay.batches.committed", Src));

        var size = Assert.Single(metrics.Points("relay.batch.size", Src));
        Assert.Equal(1, size.GetHistogramCount());
        Assert.Equal(8, size.GetHistogramSum());
        var commit = Assert.Single(metrics.Points("relay.batch.commit.duration", Src));
        Assert.Equal(1, commit.GetHistogramCount());
        var buckets = new List<double>();
        foreach (var bucket in commit.GetHistogramBuckets()) buckets.Add(bucket.ExplicitBound);
        Assert.Equal(0.001, buckets[0]); // seconds-sized buckets from the instrument's advice
        var latency = Assert.Single(metrics.Points("relay.end_to_end.latency", Src));
        Assert.Equal(1, latency.GetHistogramCount());
        Assert.InRange(latency.GetHistogramSum(), 0, 60);
        Assert.InRange(metrics.Gauge("relay.publish.idle_time", Src)!.Value, 0, 60);

        // The batch's span links the producers' traces, each once.
        tracing!.ForceFlush();
        var span = Assert.Single(spans, s => s.GetTagItem("relay.source") as string == source);
        Assert.Equal(ActivityKind.Producer, span.Kind);
        Assert.Equal("redis", span.GetTagItem("messaging.system"));
        Assert.Equal(8, span.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(
            new[] { ActivityContext.Parse(Tp1, null).TraceId.ToHexString(), ActivityContext.Parse(Tp2, null).TraceId.ToHexString() }.Order(),
            span.Links.Select(l => l.Context.TraceId.ToHexString()).Order());

        // Lag from the slot: once the acknowledgement reached the server, the slot trails by nothing but
        // WAL written since; the retained WAL and its status come from pg_replication_slots.
        await EventuallyAsync(() => Task.FromResult(metrics.Gauge("relay.source.retention.status", Src, ("status", "reserved")) == 1), "wal_status reserved");
        Assert.True(metrics.Gauge("relay.source.retained.size", Src) > 0);
        // Caught up (nothing written since the batch but what the server writes by itself, which the slot is confirmed
        // past while the outbox is idle): no lag in bytes or seconds.
        await EventuallyAsync(() => Task.FromResult(metrics.Gauge("relay.source.lag.size", Src) == 0 && metrics.Gauge("relay.source.lag", Src) == 0),
            "lag 0 (bytes and seconds) once caught up");
        Assert.Equal(0, metrics.Sum("relay.pipeline.restarts", Src));

        }

        // With the slot's reader stopped while WAL keeps coming, the lag in bytes and seconds grows.
        async Task CheckLagGrowsAsync()
        {
        var probe = factory.CreateLagProbe(context)!;
        await using (probe)
        {
            var before = await probe.SampleAsync(default);
            await db.ExecuteAsync("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 5000) g");
            await db.ExecuteAsync("INSERT INTO filler SELECT g, 'y' FROM generate_series(1, 10) g");
            // The lag in seconds counts from when the probe first saw the WAL past the slot: it reaches a second and goes on.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            SourceLagSample after;
            while ((after = await probe.SampleAsync(default)).LagSeconds < 1)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The lag stayed at {after.LagSeconds} s for 60 s.");
                await Task.Delay(100);
            }
            Assert.True(after.LagBytes > before.LagBytes + 500_000, $"lag {before.LagBytes} → {after.LagBytes}");
            Assert.False(after.LeaseHeld);
        }
        }
    }

    [Theory, MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Polling_lag_counts_waiting_rows_and_the_age_of_the_oldest(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        if (engine == OutboxDatabase.Postgres)
        {
            await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()");
            await db.ExecuteAsync("""
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload, created_at)
                SELECT 'order', g::text, 'Created', '{}', now() - interval '90 seconds' + g * interval '1 second' FROM generate_series(1, 12) g
                """);
        }
        else
        {
            await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)");
            await db.ExecuteAsync("""
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload, created_at)
                WITH RECURSIVE g (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 12)
                SELECT 'order', i, 'Created', '{}', NOW(6) - INTERVAL 90 SECOND + INTERVAL i SECOND FROM g
                """);
        }
        var context = PollingHarness.Context(db.ConnectionString, new Dictionary<string, string?> { ["TimestampColumn"] = "created_at" }, kind: db.PollingKind);
        var probe = context.Services.GetServices<IOutboxSourceFactory>().Single(f => f.Kind == db.PollingKind).CreateLagProbe(context)!;
        await using (probe)
        {
            var sample = await probe.SampleAsync(default);
            Assert.Equal(12, sample.PendingRows);
            Assert.InRange(sample.OldestPendingSeconds!.Value, 88, 120);
            Assert.Equal(sample.OldestPendingSeconds, sample.LagSeconds);
            Assert.False(sample.LeaseHeld);

            // While a relay holds the source's lease, the probe (on its own connection) says so.
            await using var source = PollingHarness.Create(db);
            await source.AcquireAsync(default);
            Assert.True((await probe.SampleAsync(default)).LeaseHeld);

            await db.ExecuteAsync("DELETE FROM outbox");
            var drained = await probe.SampleAsync(default);
            Assert.Equal(0, drained.PendingRows);
            Assert.Equal(0, drained.OldestPendingSeconds);
        }
    }
}
