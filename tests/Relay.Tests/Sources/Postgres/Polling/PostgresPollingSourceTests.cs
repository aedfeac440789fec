using System.Text.Json;
using Npgsql;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Postgres.Polling;

public class PostgresPollingSourceTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(600);

    private static Task InsertAsync(PostgresDatabase db, string aggregateId, int n, string table = "outbox") => db.ExecuteAsync(
        $"INSERT INTO {table} (aggregatetype, aggregateid, type, payload) VALUES ('order', '{aggregateId}', 'OrderCreated', '{{\"n\": {n}}}')");

    private static Task<long> CountAsync(PostgresDatabase db, string where = "true") => db.ScalarAsync<long>($"SELECT count(*) FROM outbox WHERE {where}");

    private static int N(OutboxRow row) => JsonDocument.Parse((string)row["payload"]!).RootElement.GetProperty("n").GetInt32();

    [Fact]
    public async Task Yields_rows_with_their_columns_in_order_column_order()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("""
            INSERT INTO outbox (aggregatetype, aggregateid, type, payload, traceparent) VALUES
              ('order', '42', 'OrderCreated', '{"total": 10, "lines": [1, 2]}', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
              ('order', '43', 'OrderCreated', NULL, NULL)
            """);
        var firstId = await db.ScalarAsync<string>("SELECT id::text FROM outbox ORDER BY seq LIMIT 1");

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal(2, batch.Rows.Count);
            var row = batch.Rows[0];
            Assert.Equal(firstId, row["id"]);
            Assert.Equal("1", row["seq"]); // the normal form: integers as their text
            Assert.Equal("order", row["aggregatetype"]);
            Assert.Equal("42", row["aggregateid"]);
            Assert.Equal("OrderCreated", row["type"]);
            Assert.Equal("""{"lines": [1, 2], "total": 10}""", row["payload"]); // jsonb's text form
            Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", row["traceparent"]);
            Assert.Equal("43", batch.Rows[1]["aggregateid"]);
            Assert.Null(batch.Rows[1]["payload"]);
            Assert.Null(batch.Rows[1]["traceparent"]);
            Assert.Equal("pgpoll:1..2", batch.Position.Value);
        }
    }

    [Fact]
    public async Task Reads_bytea_payloads_as_bytes_and_a_json_column_as_text()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.ExecuteAsync("""
            CREATE TABLE outbox_bin (
              id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
              seq bigint GENERATED ALWAYS AS IDENTITY,
              aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL,
              payload bytea, meta json)
            """);
        await db.ExecuteAsync("""INSERT INTO outbox_bin (aggregatetype, aggregateid, type, payload, meta) VALUES ('order', '1', 'T', '\x00ff10'::bytea, '{"a":1}')""");

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["Outbox:Table"] = "public.outbox_bin" });
        await using (source)
        await using (reader)
        {
            var row = Assert.Single((await reader.NextAsync()).Rows);
            Assert.Equal(new byte[] { 0x00, 0xff, 0x10 }, Assert.IsType<byte[]>(row["payload"]));
            Assert.Equal("""{"a":1}""", row["meta"]); // json keeps its text verbatim
            Assert.IsType<string>(row["id"]);
        }
    }

    [Fact]
    public async Task Deletes_rows_only_after_acknowledgement_and_polls_again_only_then()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        for (var i = 1; i <= 3; i++) await InsertAsync(db, "a", i);

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([1, 2, 3], batch.Rows.Select(N));
            await InsertAsync(db, "a", 4);

            await reader.AssertNoBatchAsync(Quiet); // no second poll while the batch is unacknowledged
            Assert.Equal(4, await CountAsync(db));

            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(1, await CountAsync(db));

            var next = await reader.NextAsync();
            Assert.Equal([4], next.Rows.Select(N));
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(0, await CountAsync(db));
        }
    }

    [Fact]
    public async Task Mark_mode_sets_the_mark_column_instead_of_deleting_and_never_yields_a_marked_row_again()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN done_at timestamptz");
        var keys = new Dictionary<string, string?> { ["AfterPublish"] = "Mark", ["MarkColumn"] = "done_at" };
        for (var i = 1; i <= 2; i++) await InsertAsync(db, "a", i);

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, keys);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([1, 2], batch.Rows.Select(N));
            Assert.Equal(2, await CountAsync(db, "done_at IS NULL"));
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            Assert.Equal(2, await CountAsync(db));
            Assert.Equal(2, await CountAsync(db, "done_at IS NOT NULL"));

            await InsertAsync(db, "a", 3);
            var next = await reader.NextAsync();
            Assert.Equal([3], next.Rows.Select(N));
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);
        }

        // A new run (nothing committed in the sink as far as it knows) still skips the marked rows.
        var (again, againReader) = await PollingHarness.StartAsync(db.ConnectionString, keys);
        await using (again)
        await using (againReader)
        {
            await againReader.AssertNoBatchAsync(Quiet);
        }
        Assert.Equal(3, await CountAsync(db, "done_at IS NOT NULL"));
    }

    [Fact]
    public async Task A_row_whose_transaction_commits_late_is_still_published()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();

        // The late writer draws the lowest seq and stays uncommitted while later rows commit.
        await using var late = new NpgsqlConnection(db.ConnectionString);
        await late.OpenAsync();
        await using var lateTx = await late.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', 'late', 'T', '{\"n\": 0}')", late, lateTx))
            await insert.ExecuteNonQueryAsync();
        await InsertAsync(db, "b", 1);
        await InsertAsync(db, "b", 2);

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal(["b", "b"], batch.Rows.Select(r => (string)r["aggregateid"]!));
            Assert.Equal("pgpoll:2..3", batch.Position.Value);
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);

            await lateTx.CommitAsync();

            var next = await reader.NextAsync();
            var row = Assert.Single(next.Rows);
            Assert.Equal("late", row["aggregateid"]);
            Assert.Equal("1", row["seq"]); // the normal form: integers as their text
            await source.AcknowledgeAsync(next.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
        }
        Assert.Equal(0, await CountAsync(db));
    }

    [Theory]
    [InlineData("Delete")]
    [InlineData("Mark")]
    public async Task On_restart_the_rows_of_the_committed_position_are_released_and_never_yielded_again(string afterPublish)
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN published_at timestamptz");
        var keys = new Dictionary<string, string?> { ["AfterPublish"] = afterPublish };
        for (var i = 1; i <= 3; i++) await InsertAsync(db, "a", i);

        SourcePosition committed;
        var (crashed, crashedReader) = await PollingHarness.StartAsync(db.ConnectionString, keys);
        await using (crashed)
        await using (crashedReader)
        {
            // The sink committed this batch, then the relay died before acknowledging it.
            committed = (await crashedReader.NextAsync()).Position;
        }
        Assert.Equal(3, await CountAsync(db, "published_at IS NULL"));
        await InsertAsync(db, "a", 4);

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, keys, committed);
        await using (source)
        await using (reader)
        {
            var batch = await reader.NextAsync();
            Assert.Equal([4], batch.Rows.Select(N));
            Assert.Equal(afterPublish == "Delete" ? 1 : 4, await CountAsync(db));
            Assert.Equal(1, await CountAsync(db, "published_at IS NULL"));

            // Acknowledging the committed position again (a retried acknowledgement) is harmless.
            await source.AcknowledgeAsync(committed, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await source.AcknowledgeAsync(batch.Position, CancellationToken.None).WaitAsync(BatchReader.Timeout);
            await reader.AssertNoBatchAsync(Quiet);
        }
        Assert.Equal(0, await CountAsync(db, "published_at IS NULL"));
    }

    [Theory]
    [InlineData("AfterPublish=Mark", "Relay:Sources:orders:MarkColumn (environment variable Relay__Sources__orders__MarkColumn)",
        "ALTER TABLE \"public\".\"outbox\" ADD COLUMN \"published_at\" timestamptz;")]
    [InlineData("OrderColumn=position", "Relay:Sources:orders:OrderColumn", "ADD COLUMN \"position\" bigint GENERATED ALWAYS AS IDENTITY;")]
    [InlineData("Outbox:PayloadColumn=body", "Relay:Sources:orders:Outbox:PayloadColumn", "ADD COLUMN \"body\" jsonb;")]
    [InlineData("Outbox:HeaderColumns:x-tenant=tenant", "Relay:Sources:orders:Outbox:HeaderColumns:x-tenant", "ADD COLUMN \"tenant\" text;")]
    [InlineData("OrderColumn=aggregateid", "Relay:Sources:orders:OrderColumn", "identity or auto-increment")]
    [InlineData("Outbox:Table=public.nope", "Relay:Sources:orders:Outbox:Table", "does not exist")]
    public async Task A_missing_table_or_column_is_fatal_naming_the_key_and_the_fix(string setting, string key, string fix)
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var (name, value) = (setting.Split('=')[0], setting.Split('=')[1]);

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, new Dictionary<string, string?> { [name] = value });
        await using (source)
        await using (reader)
        {
            var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
            Assert.Contains(key, e.Message);
            Assert.Contains(fix, e.Message);
            Assert.DoesNotContain("Password", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Missing_rights_are_fatal_with_the_grant()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var role = "relay_ro_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'pw'; GRANT SELECT ON outbox TO {role};");
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = "pw" }.ConnectionString;
            var (source, reader) = await PollingHarness.StartAsync(cs);
            await using (source)
            await using (reader)
            {
                var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
                Assert.Contains($"GRANT UPDATE, DELETE ON \"public\".\"outbox\" TO \"{role}\";", e.Message);
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await db.ExecuteAsync($"REVOKE ALL ON outbox FROM {role}; DROP ROLE {role};");
        }
    }

    [Fact]
    public async Task Waits_for_rows_another_session_locked_instead_of_publishing_later_rows_first()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        for (var i = 1; i <= 3; i++) await InsertAsync(db, "a", i);

        // A stale reader (or a manual transaction) holds the oldest row.
        await using var stale = new NpgsqlConnection(db.ConnectionString);
        await stale.OpenAsync();
        await using var staleTx = await stale.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM outbox WHERE seq = 1 FOR UPDATE", stale, staleTx))
            await lockRow.ExecuteNonQueryAsync();

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString);
        await using (source)
        await using (reader)
        {
            await reader.AssertNoBatchAsync(Quiet);
            await staleTx.RollbackAsync();
            var batch = await reader.NextAsync();
            Assert.Equal([1, 2, 3], batch.Rows.Select(N));
        }
    }

    [Fact]
    public async Task A_second_source_stands_by_until_the_first_is_disposed_and_together_they_publish_each_row_once()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        for (var i = 1; i <= 10; i++) await InsertAsync(db, "a", i);
        var keys = new Dictionary<string, string?> { ["MaxBatchRows"] = "4" };
        var sink = new List<int>(); // what the sink committed

        var (first, firstReader) = await PollingHarness.StartAsync(db.ConnectionString, keys);
        var second = PollingHarness.Create(db.ConnectionString, keys);
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
        Assert.Equal(0, await CountAsync(db));
    }

    [Fact]
    public async Task Concurrent_writers_rows_are_each_published_once_and_in_order_per_aggregate()
    {
        const int writers = 4, perWriter = 1250, aggregates = 25;
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"CREATE TABLE aggregates (id text PRIMARY KEY, version int NOT NULL); " +
                              $"INSERT INTO aggregates SELECT 'agg' || g, 0 FROM generate_series(1, {aggregates}) g;");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        async Task WriteAsync(int writer)
        {
            var random = new Random(writer);
            await using var conn = new NpgsqlConnection(db.ConnectionString);
            await conn.OpenAsync(timeout.Token);
            for (var i = 0; i < perWriter; i++)
            {
                var aggregate = "agg" + random.Next(1, aggregates + 1);
                await using var tx = await conn.BeginTransactionAsync(timeout.Token);
                // The service's pattern: serialise on the aggregate, then insert the event (drawing its seq).
                await using var bump = new NpgsqlCommand("UPDATE aggregates SET version = version + 1 WHERE id = @id RETURNING version", conn, tx);
                bump.Parameters.AddWithValue("id", aggregate);
                var version = (int)(await bump.ExecuteScalarAsync(timeout.Token))!;
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', @id, 'Changed', jsonb_build_object('n', @v))", conn, tx);
                insert.Parameters.AddWithValue("id", aggregate);
                insert.Parameters.AddWithValue("v", version);
                await insert.ExecuteNonQueryAsync(timeout.Token);
                await tx.CommitAsync(timeout.Token);
            }
        }

        var published = new List<(string Id, string Aggregate, int Version)>();
        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["MaxBatchRows"] = "300" });
        await using (source)
        await using (reader)
        {
            var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(WriteAsync));
            while (published.Count < writers * perWriter)
            {
                var batch = await reader.NextAsync();
                published.AddRange(batch.Rows.Select(r => ((string)r["id"]!, (string)r["aggregateid"]!, N(r))));
                await source.AcknowledgeAsync(batch.Position, timeout.Token);
                Assert.False(timeout.IsCancellationRequested, $"Only {published.Count} rows published in time.");
            }
            await writing.WaitAsync(timeout.Token);
            await reader.AssertNoBatchAsync(Quiet);
        }

        Assert.Equal(writers * perWriter, published.Select(p => p.Id).Distinct().Count());
        foreach (var group in published.GroupBy(p => p.Aggregate))
            Assert.Equal(Enumerable.Range(1, group.Count()), group.Select(p => p.Version)); // every version, in order
        Assert.Equal(0, await CountAsync(db));
    }
}
