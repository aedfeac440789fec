using System.Text.Json;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Polling;

/// <summary>The guarantees of the shared polling source, on every database it serves.</summary>
public sealed class PollingSourceTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(600);

    private static int N(OutboxRow row) => JsonDocument.Parse((string)row["payload"]!).RootElement.GetProperty("n").GetInt32();

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Yields_rows_in_order_column_order_with_their_columns_and_the_ids_as_position(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent) VALUES
              ('order', '42', 'OrderCreated', '{"n": 1}', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
              ('order', '43', 'OrderCreated', NULL, NULL)
            """);

        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal(2, batch.Rows.Count);
            var row = batch.Rows[0];
            Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", Assert.IsType<string>(row["id"]));
            Assert.Equal("1", row["seq"]);
            Assert.Equal("order", row["aggregatetype"]);
            Assert.Equal("42", row["aggregateid"]);
            Assert.Equal("OrderCreated", row["type"]);
            Assert.Equal(1, N(row));
            Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", row["traceparent"]);
            Assert.Equal("43", batch.Rows[1]["aggregateid"]);
            Assert.Null(batch.Rows[1]["payload"]);
            Assert.Equal(db.PollingPrefix + "1..2", batch.Position.Value);
        }
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Deletes_rows_only_after_acknowledgement_and_polls_again_only_then(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        for (var i = 1; i <= 3; i++) await db.InsertAsync("a", i);

        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([1, 2, 3], batch.Rows.Select(N));
            await db.InsertAsync("a", 4);

            await reader.AssertNoBatchAsync(Quiet); // no second poll while the batch is unacknowledged
            Assert.Equal(4, await db.CountAsync());

            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(1, await db.CountAsync());

            var next = await reader.NextAsync();
            Assert.Equal([4], next.Rows.Select(N));
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(0, await db.CountAsync());
        }
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Mark_mode_sets_the_mark_column_instead_of_deleting_and_never_yields_a_marked_row_again(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"ALTER TABLE outbox ADD COLUMN done_at {db.TimestampType} NULL");
        var keys = new Dictionary<string, string?> { ["AfterPublish"] = "Mark", ["MarkColumn"] = "done_at" };
        for (var i = 1; i <= 2; i++) await db.InsertAsync("a", i);

        var (source, reader) = await PollingHarness.StartAsync(db, keys);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([1, 2], batch.Rows.Select(N));
            Assert.Equal(2, await db.CountAsync("done_at IS NULL"));
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(2, await db.CountAsync());
            Assert.Equal(2, await db.CountAsync("done_at IS NOT NULL"));

            await db.InsertAsync("a", 3);
            var next = await reader.NextAsync();
            Assert.Equal([3], next.Rows.Select(N));
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);
        }

        // A new run (nothing committed in the sink as far as it knows) still skips the marked rows.
        var (again, againReader) = await PollingHarness.StartAsync(db, keys);
        await using (again)
        await using (againReader)
        {
            await againReader.AssertNoBatchAsync(Quiet);
        }
        Assert.Equal(3, await db.CountAsync("done_at IS NOT NULL"));
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task A_row_whose_transaction_commits_late_is_still_published(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();

        // The late writer draws the lowest seq and stays uncommitted while later rows commit.
        await using var late = await db.BeginAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'late', 'T', '{\"n\": 0}')");
        await db.InsertAsync("b", 1);
        await db.InsertAsync("b", 2);

        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal(["b", "b"], batch.Rows.Select(r => (string)r["aggregateid"]!));
            Assert.Equal(db.PollingPrefix + "2..3", batch.Position.Value);
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);

            await late.CommitAsync();

            var next = await reader.NextAsync();
            var row = Assert.Single(next.Rows);
            Assert.Equal("late", row["aggregateid"]);
            Assert.Equal("1", row["seq"]);
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
        }
        Assert.Equal(0, await db.CountAsync());
    }

    public static TheoryData<string, string> EnginesAndModes => new()
    {
        { OutboxDatabase.Postgres, "Delete" }, { OutboxDatabase.Postgres, "Mark" },
        { OutboxDatabase.MySql, "Delete" }, { OutboxDatabase.MySql, "Mark" },
    };

    [Theory]
    [MemberData(nameof(EnginesAndModes))]
    public async Task On_restart_the_rows_of_the_committed_position_are_released_and_never_yielded_again(string engine, string afterPublish)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"ALTER TABLE outbox ADD COLUMN published_at {db.TimestampType} NULL");
        var keys = new Dictionary<string, string?> { ["AfterPublish"] = afterPublish };
        for (var i = 1; i <= 3; i++) await db.InsertAsync("a", i);

        SourcePosition committed;
        var (crashed, crashedReader) = await PollingHarness.StartAsync(db, keys);
        await using (crashed)
        await using (crashedReader)
        {
            // The sink committed this batch, then the relay died before acknowledging it.
            committed = (await crashedReader.NextAsync()).Position;
        }
        Assert.Equal(3, await db.CountAsync("published_at IS NULL"));
        await db.InsertAsync("a", 4);

        var (source, reader) = await PollingHarness.StartAsync(db, keys, committed);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([4], batch.Rows.Select(N));
            Assert.Equal(afterPublish == "Delete" ? 1 : 4, await db.CountAsync());
            Assert.Equal(1, await db.CountAsync("published_at IS NULL"));

            // Acknowledging the committed position again (a retried acknowledgement) is harmless.
            await source.AcknowledgeAsync(committed, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);
        }
        Assert.Equal(0, await db.CountAsync("published_at IS NULL"));
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task A_position_of_another_engine_or_kind_is_refused_naming_the_fix(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        var foreign = new SourcePosition(engine == OutboxDatabase.Postgres ? "mysqlpoll:1" : "pgpoll:1");
        var (source, reader) = await PollingHarness.StartAsync(db, committed: foreign);
        await using (source)
        await using (reader)
        {
            var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
            Assert.Contains(foreign.Value, e.Message);
            Assert.Contains("give this source its own name", e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task A_second_source_stands_by_until_the_first_is_disposed_and_together_they_publish_each_row_once(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        for (var i = 1; i <= 10; i++) await db.InsertAsync("a", i);
        var keys = new Dictionary<string, string?> { ["MaxBatchRows"] = "4" };
        var sink = new List<int>(); // what the sink committed

        var (first, firstReader) = await PollingHarness.StartAsync(db, keys);
        var second = PollingHarness.Create(db, keys);
        await using var _ = second;
        var standingBy = second.AcquireAsync(CancellationToken.None);
        SourcePosition committed;
        await using (first)
        await using (firstReader)
        {
            var one = await firstReader.NextAsync();
            sink.AddRange(one.Rows.Select(N));
            await first.AcknowledgeAsync(one.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);

            // Committed in the sink, then the first relay dies before acknowledging.
            var two = await firstReader.NextAsync();
            sink.AddRange(two.Rows.Select(N));
            committed = two.Position;

            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the lease is retried every second
            Assert.False(standingBy.IsCompleted, "The second source acquired the lease while the first held it.");
        }

        await standingBy.WaitAsync(BatchReader.Timeout);
        await using (var reader = new BatchReader(second, committed))
        {
            var three = await reader.NextAsync();
            sink.AddRange(three.Rows.Select(N));
            await second.AcknowledgeAsync(three.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);
        }
        Assert.Equal(Enumerable.Range(1, 10), sink);
        Assert.Equal(0, await db.CountAsync());
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Concurrent_writers_rows_are_each_published_once_and_in_order_per_aggregate(string engine)
    {
        const int writers = 4, perWriter = 1000, aggregates = 25;
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await db.CreateOutboxAsync();
        var workload = new Crash.OutboxWorkload(db, aggregates, ["order"]);
        await workload.CreateSchemaAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var published = new List<(string Id, string Aggregate, int Version)>();
        var (source, reader) = await PollingHarness.StartAsync(db, new Dictionary<string, string?> { ["MaxBatchRows"] = "300" });
        await using (source)
        await using (reader)
        {
            var writing = workload.WriteAsync(writers, writers * perWriter, TimeSpan.Zero, timeout.Token);
            while (published.Count < writers * perWriter)
            {
                var batch = await reader.NextAsync();
                published.AddRange(batch.Rows.Select(r => ((string)r["id"]!, (string)r["aggregateid"]!, Version(r))));
                await source.AcknowledgeAsync(batch.Position, timeout.Token);
                Assert.False(timeout.IsCancellationRequested, $"Only {published.Count} rows published in time.");
            }
            await writing.WaitAsync(timeout.Token);
            await reader.AssertNoBatchAsync(Quiet);
        }

        Assert.Equal(writers * perWriter, published.Select(p => p.Id).Distinct().Count());
        foreach (var group in published.GroupBy(p => p.Aggregate))
            Assert.Equal(Enumerable.Range(1, group.Count()), group.Select(p => p.Version)); // every version, in order
        Assert.Equal(0, await db.CountAsync());
    }

    private static int Version(OutboxRow row) => JsonDocument.Parse((string)row["payload"]!).RootElement.GetProperty("version").GetInt32();
}
