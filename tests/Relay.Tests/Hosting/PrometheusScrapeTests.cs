using System.Net;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>A real Prometheus scrapes the relay's /metrics and answers queries for its relay_* series.</summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_relay_and_returns_its_series()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()");
        await db.ExecuteAsync("""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload)
            SELECT 'order', g::text, 'Created', jsonb_build_object('n', g) FROM generate_series(1, 25) g
            """);
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-prom-" + Guid.NewGuid().ToString("N")[..8];
        var port = LocalHost.FreePort();
        var env = RelayHttp.Environment(port);
        env["Relay__Sources__orders__Kind"] = "PostgresPolling";
        env["Relay__Sources__orders__ConnectionString"] = db.ConnectionString;
        env["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}";
        env["Relay__Sources__orders__TimestampColumn"] = "created_at";
        env["Relay__Telemetry__LagInterval"] = "00:00:00.5";
        env["Relay__Sinks__main__Kind"] = "Redis";
        env["Relay__Sinks__main__Configuration"] = redis;
        env["Relay__Sinks__main__KeyPrefix"] = prefix + ":";

        using var relay = RelayProcess.Start(env);
        await using var prometheus = await PrometheusServer.StartAsync(port);
        try
        {
            using var http = new RelayHttp(port);
            await http.WaitForReadinessAsync(relay, (status, _) => status == HttpStatusCode.OK);

            var published = await prometheus.WaitForAsync("sum by (source) (relay_messages_published_total)",
                r => r.Count == 1 && r[0].Value == 25);
            Assert.Equal("orders", published[0].Labels["source"]);

            var state = await prometheus.WaitForAsync("relay_pipeline_state == 1", r => r.Count == 1);
            Assert.Equal("streaming", state[0].Labels["state"]);
            Assert.Equal("relay", state[0].Labels["job"]);

            var active = await prometheus.WaitForAsync("relay_source_active", r => r.Count == 1);
            Assert.Equal(1, active[0].Value);
            await prometheus.WaitForAsync("up{job=\"relay\"}", r => r.Count == 1 && r[0].Value == 1);

            // Bytes per destination, batch sizes, seconds-sized commit buckets, and the polling lag once drained.
            var bytes = await prometheus.WaitForAsync("relay_messages_published_size_bytes_total", r => r.Count == 1);
            Assert.Equal(prefix + ".order", bytes[0].Labels["messaging_destination_name"]);
            Assert.Equal("redis", bytes[0].Labels["messaging_system"]);
            Assert.True(bytes[0].Value > 25 * 36, $"{bytes[0].Value} bytes"); // at least the 36-character ids
            await prometheus.WaitForAsync("sum(relay_batch_size_sum)", r => r.Count == 1 && r[0].Value == 25);
            await prometheus.WaitForAsync("relay_batch_commit_duration_seconds_bucket{le=\"0.001\"}", r => r.Count == 1);
            await prometheus.WaitForAsync("relay_source_pending", r => r.Count == 1 && r[0].Value == 0);
            await prometheus.WaitForAsync("relay_source_pending_age_seconds", r => r.Count == 1 && r[0].Value == 0);
            // The idle time counts up from the last commit while nothing is published, ...
            var idle = (await prometheus.WaitForAsync("relay_publish_idle_time_seconds", r => r.Count == 1 && r[0].Value > 0))[0].Value;
            idle = (await prometheus.WaitForAsync("relay_publish_idle_time_seconds", r => r.Count == 1 && r[0].Value > idle))[0].Value;

            // Later rows are counted on top.
            await db.ExecuteAsync("""
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload, created_at)
                SELECT 'order', g::text, 'Created', '{}', now() - interval '1 hour' FROM generate_series(1, 3) g
                """);
            await prometheus.WaitForAsync("sum(relay_messages_published_total)", r => r.Count == 1 && r[0].Value == 28);
            // ... and starts again from 0 at the next one.
            await prometheus.WaitForAsync("relay_publish_idle_time_seconds", r => r.Count == 1 && r[0].Value < idle);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            await mux.GetDatabase().KeyDeleteAsync([$"{prefix}.order", $"{prefix}:offsets", $"{prefix}:epoch:orders"]);
        }
    }
}
