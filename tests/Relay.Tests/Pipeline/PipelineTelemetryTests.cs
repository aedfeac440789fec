using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.Postgres.Polling;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Polling;

namespace Relay.Tests.Pipeline;

/// <summary>What operators watch: the Relay meter's counters, and a poison row that goes to the dead-letter topic instead of stalling.</summary>
public class PipelineTelemetryTests
{
    [Fact]
    public async Task A_poison_row_is_dead_lettered_in_order_and_the_counters_report_it()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES
              ('order', '1', 'Created', '{"n":1}'),
              ('order line', '1', 'Created', '{"n":2}'),
              ('order', '1', 'Created', '{"n":3}')
            """);
        var source = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        var counters = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RelayTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "source" && (string?)tag.Value == source) counters.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
        });
        listener.Start();

        var store = new RecordingStore();
        var context = PollingHarness.Context(db.ConnectionString, new Dictionary<string, string?>());
        using var telemetry = new RelayTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        var pipeline = new SourcePipeline(source, () => new PostgresPollingSourceFactory().Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<PostgresPollingOptions>(context).Outbox, source), maxBatchRows: 100, telemetry, NullLogger.Instance);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = pipeline.RunAsync(stop.Token);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0)
        {
            Assert.False(running.IsCompleted, "The pipeline stopped.");
            await Task.Delay(50, stop.Token);
        }
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(15));

        var messages = store.Messages;
        Assert.Equal(["outbox.event.order", "relay.deadletter", "outbox.event.order"], messages.Select(m => m.Topic));
        Assert.Contains(messages[1].Headers, h => h.Key == OutboxRouter.ErrorHeader);
        Assert.Equal(2, counters.GetValueOrDefault("relay.messages.published"));
        Assert.Equal(1, counters.GetValueOrDefault("relay.messages.dead_lettered"));
        Assert.True(counters.GetValueOrDefault("relay.batches.committed") >= 1);
        Assert.Equal(0, counters.GetValueOrDefault("relay.pipeline.restarts"));
    }
}
