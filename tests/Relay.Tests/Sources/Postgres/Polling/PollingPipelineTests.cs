using Relay.Tests.Sources.Polling;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Postgres.Polling;

public class PollingPipelineTests
{
    [Fact]
    public async Task The_pipeline_publishes_every_row_once_in_order_across_a_crash_between_commit_and_acknowledgement()
    {
        const int rows = 250;
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload)
            SELECT 'order', 'agg' || (g % 7), 'Changed', jsonb_build_object('n', g) FROM generate_series(1, {rows / 2}) g
            """);

        var store = new RecordingStore { CrashAfterCommit = 2 };
        var context = PollingHarness.Context(db.ConnectionString, new Dictionary<string, string?> { ["MaxBatchRows"] = "40" });
        var factory = new Relay.Sources.Postgres.Polling.PostgresPollingSourceFactory();
        using var telemetry = new RelayTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        var pipeline = new SourcePipeline("orders", () => factory.Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<Relay.Sources.Postgres.Polling.PostgresPollingOptions>(context).Outbox, "orders"), maxBatchRows: 40, telemetry, NullLogger.Instance);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = pipeline.RunAsync(stop.Token);
        await db.ExecuteAsync($"""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload)
            SELECT 'order', 'agg' || (g % 7), 'Changed', jsonb_build_object('n', g) FROM generate_series({rows / 2 + 1}, {rows}) g
            """);

        while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0)
        {
            Assert.False(running.IsCompleted, "The pipeline stopped.");
            await Task.Delay(50, stop.Token);
        }
        await Task.Delay(300, stop.Token); // room for a wrongly repeated batch to arrive
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(15));

        var messages = store.Messages;
        Assert.True(store.Commits > 2, "The crash after the second commit did not happen.");
        Assert.Equal(rows, messages.Count);
        Assert.Equal(rows, messages.Select(m => m.EventId).Distinct().Count());
        Assert.All(messages, m => Assert.Equal("outbox.event.order", m.Topic));
        var numbers = messages.Select(m => JsonDocument.Parse(m.Value!).RootElement.GetProperty("n").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, rows), numbers); // a single writer's rows, so seq order is global order
        foreach (var aggregate in messages.GroupBy(m => Encoding.UTF8.GetString(m.Key!)))
        {
            var ns = aggregate.Select(m => JsonDocument.Parse(m.Value!).RootElement.GetProperty("n").GetInt32()).ToList();
            Assert.Equal(ns.Order(), ns);
        }
    }
}
