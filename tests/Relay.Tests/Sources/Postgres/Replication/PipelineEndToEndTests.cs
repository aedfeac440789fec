using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.Postgres.Replication;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.Postgres.Replication.ReplicationTestKit;

namespace Relay.Tests.Sources.Postgres.Replication;

public class PipelineEndToEndTests
{
    [Fact]
    public async Task Every_row_arrives_once_and_in_commit_order_across_failures_and_restarts()
    {
        const int maxBatchRows = 20;
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await db.CreateOutboxAsync();
        var settings = Settings(db, new Dictionary<string, string?> { ["MaxBatchRows"] = maxBatchRows.ToString(), ["StatusInterval"] = "00:00:00.250" });
        var context = Context(db.ConnectionString, settings: settings);
        var factory = new PostgresReplicationSourceFactory();
        var store = new RecordingStore { FailingPublishes = { 3, 9 } };
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new RelayTelemetry(services.GetRequiredService<IMeterFactory>());
        SourcePipeline NewPipeline() => new("orders", () => factory.Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<PostgresReplicationOptions>(context).Outbox, "orders"), maxBatchRows, telemetry, NullLogger.Instance);

        async Task WriteAsync(int from, int to)
        {
            for (var t = from; t < to; t++) await InsertAsync(db, 1 + t % 7 * 8, $"t{t}-"); // 1 to 49 rows: some span chunks
        }

        using (var stop = new CancellationTokenSource())
        {
            var running = NewPipeline().RunAsync(stop.Token);
            await WaitForSlotActiveAsync(db);
            await WriteAsync(0, 20);
            await EventuallyAsync(() => Task.FromResult(store.Messages.Count > 100), "the first pipeline to publish");
            await stop.CancelAsync();
            await running.WaitAsync(Wait);
        }

        // A second relay process: it resumes from the sink's committed position, rows written meanwhile included.
        await WriteAsync(20, 30);
        using (var stop = new CancellationTokenSource())
        {
            var running = NewPipeline().RunAsync(stop.Token);
            await WriteAsync(30, 40);
            var expected = await db.ScalarAsync<long>("SELECT count(*) FROM outbox");
            await EventuallyAsync(() => Task.FromResult(store.Messages.Count >= expected), $"all {expected} rows in the sink", TimeSpan.FromSeconds(60));
            await Task.Delay(500); // anything extra would show now
            await stop.CancelAsync();
            await running.WaitAsync(Wait);
        }

        List<string> ids;
        await using (var conn = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT id::text FROM outbox ORDER BY seq", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            ids = new List<string>();
            while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        }
        Assert.Equal(2, store.Failures); // each one restarted the pipeline from the committed position
        var published = store.Messages;
        Assert.Equal(ids.Count, published.Count);
        Assert.Equal(ids, published.Select(m => m.EventId!));
        Assert.All(published, m => Assert.Equal("outbox.event.order", m.Topic));
        Assert.True(WalPosition.TryParse(store.Position!.Value.Value, out var last) && last.Complete);
    }
}
