using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.Postgres.Polling;
using Relay.Sources.Postgres.Replication;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Polling;
using static Relay.Tests.Sources.Postgres.Replication.ReplicationTestKit;

namespace Relay.Tests.Sources.Postgres;

/// <summary>
/// A mapped column renamed while Relay runs must not vanish silently: WAL tailing sees rows of the new shape and the
/// router makes them dead letters naming the column (the pipeline goes on); polling's SELECT of the old name fails,
/// and the source stops naming the change and the key.
/// </summary>
public sealed class MappedColumnRenameTests
{
    private static string Header(OutboxMessage m, string name) => Encoding.UTF8.GetString(m.Headers.Single(h => h.Key == name).Value);

    [Fact]
    public async Task WAL_rows_without_the_mapped_type_column_go_to_the_dead_letter_topic_naming_it_and_the_pipeline_goes_on()
    {
        const string name = "schema-wal";
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var context = Context(db.ConnectionString, name, Settings(db));
        var store = new RecordingStore();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new RelayTelemetry(services.GetRequiredService<IMeterFactory>());
        var pipeline = new SourcePipeline(name, () => new PostgresReplicationSourceFactory().Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<PostgresReplicationOptions>(context).Outbox, name), 100, telemetry, NullLogger.Instance);

        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        await WaitForSlotActiveAsync(db);
        await InsertAsync(db, 1, "a");
        await db.ExecuteAsync("ALTER TABLE outbox RENAME COLUMN type TO kind");
        await db.ExecuteAsync("""INSERT INTO outbox (aggregatetype, aggregateid, kind, payload) VALUES ('order', 'b1', 'Renamed', '{"n": 2}')""");
        await db.ExecuteAsync("ALTER TABLE outbox RENAME COLUMN kind TO type");
        await InsertAsync(db, 1, "c");
        await EventuallyAsync(() => Task.FromResult(store.Messages.Count >= 3), "three messages");
        await Task.Delay(500); // anything extra would show now
        await stop.CancelAsync();
        await running.WaitAsync(Wait);

        var messages = store.Messages;
        Assert.Equal(["outbox.event.order", "relay.deadletter", "outbox.event.order"], messages.Select(m => m.Topic));
        Assert.Equal(["a1", "b1", "c1"], messages.Select(m => Encoding.UTF8.GetString(m.Key!)));
        Assert.Equal("Created", Header(messages[0], "type"));
        Assert.Equal("Created", Header(messages[2], "type"));
        Assert.DoesNotContain(messages[1].Headers, h => h.Key == "type");
        Assert.Equal("the row has no column type (Outbox:TypeColumn): it was renamed or dropped; rename it back, or set Outbox:TypeColumn to its new name and restart",
            Header(messages[1], OutboxRouter.ErrorHeader));
        Assert.Equal(name, Header(messages[1], OutboxRouter.SourceHeader));
        Assert.Equal("""{"n": 2}""", Encoding.UTF8.GetString(messages[1].Value!));
    }

    [Fact]
    public async Task Polling_goes_on_after_an_unmapped_column_is_dropped_and_stops_naming_the_key_when_a_mapped_one_is_renamed()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN note text");
        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, kind: PostgresPollingSourceFactory.KindName);
        await using (source)
        await using (reader)
        {
            await InsertAsync(db, 1, "a");
            var first = await reader.NextAsync();
            Assert.Equal(["a1"], first.Rows.Select(r => Text(r, "aggregateid")));
            Assert.True(first.Rows[0].HasColumn("note"));
            await source.AcknowledgeAsync(first.Position, CancellationToken.None);

            await db.ExecuteAsync("ALTER TABLE outbox DROP COLUMN note");
            await InsertAsync(db, 1, "b");
            var second = await reader.NextAsync();
            Assert.Equal(["b1"], second.Rows.Select(r => Text(r, "aggregateid")));
            Assert.False(second.Rows[0].HasColumn("note"));
            await source.AcknowledgeAsync(second.Position, CancellationToken.None);

            await db.ExecuteAsync("ALTER TABLE outbox RENAME COLUMN type TO kind");
            await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, kind, payload) VALUES ('order', 'c1', 'K', NULL)");
            var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
            Assert.Contains("was altered while Relay polled it", e.Message);
            Assert.Contains("column \"type\" does not exist", e.Message);
            Assert.Contains("Relay:Sources:orders:Outbox:TypeColumn", e.Message);
        }
    }
}
