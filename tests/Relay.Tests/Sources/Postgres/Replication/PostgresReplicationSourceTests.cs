using Npgsql;
using NpgsqlTypes;
using Relay.Sources.Postgres.Replication;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.Postgres.Replication.ReplicationTestKit;

namespace Relay.Tests.Sources.Postgres.Replication;

public class PostgresReplicationSourceTests
{
    private static WalPosition Position(SourceBatch batch)
    {
        Assert.True(WalPosition.TryParse(batch.Position.Value, out var position), batch.Position.Value);
        return position;
    }

    private static async Task<(PostgresDatabase Db, SourceReader Reader)> StartAsync(
        IDictionary<string, string?>? settings = null, SourcePosition? committed = null, Func<PostgresDatabase, Task>? prepare = null)
    {
        var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        if (prepare is not null) await prepare(db);
        var reader = new SourceReader(Create(db, settings: settings), committed);
        await WaitForSlotActiveAsync(db);
        return (db, reader);
    }

    [Fact]
    public async Task Rows_arrive_with_their_columns_jsonb_bytea_traceparent_and_nulls()
    {
        var (db, reader) = await StartAsync(prepare: d => d.ExecuteAsync("ALTER TABLE outbox ADD COLUMN blob bytea, ADD COLUMN created timestamptz DEFAULT '2026-01-02T03:04:05Z'"));
        await using var _ = db;
        await using var __ = reader;
        const string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        await db.ExecuteAsync($$"""
            INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, traceparent, blob)
            VALUES ('6f1c4d5e-0000-4000-8000-000000000001', 'order', '42', 'OrderCreated', '{"total": 10, "note": "ünïcode \"q\""}', '{{tp}}', '\x00ff5c78410a'),
                   ('6f1c4d5e-0000-4000-8000-000000000002', 'order', '43', 'OrderCreated', NULL, NULL, NULL)
            """);

        var batch = await reader.NextAsync();

        Assert.Equal(2, batch.Rows.Count);
        var row = batch.Rows[0];
        Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", Text(row, "id"));
        Assert.Equal("order", Text(row, "aggregatetype"));
        Assert.Equal("42", Text(row, "aggregateid"));
        Assert.Equal("OrderCreated", Text(row, "type"));
        Assert.Equal("{\"note\": \"ünïcode \\\"q\\\"\", \"total\": 10}", Text(row, "payload")); // jsonb's own text form
        Assert.Equal(tp, Text(row, "traceparent"));
        Assert.Equal(new byte[] { 0x00, 0xff, 0x5c, 0x78, 0x41, 0x0a }, Assert.IsType<byte[]>(row["blob"]));
        Assert.Equal("1", Text(row, "seq"));
        Assert.Equal("2026-01-02T03:04:05Z", Text(row, "created")); // the normal form: an instant in UTC
        Assert.Equal(["id", "seq", "aggregatetype", "aggregateid", "type", "payload", "traceparent", "blob", "created"], row.Columns.Names);

        var nulls = batch.Rows[1];
        Assert.Equal("43", Text(nulls, "aggregateid"));
        Assert.True(nulls.HasColumn("payload"));
        Assert.Null(nulls["payload"]);
        Assert.Null(nulls["traceparent"]);
        Assert.Null(nulls["blob"]);
    }

    [Fact]
    public async Task A_bytea_payload_arrives_as_its_original_bytes()
    {
        var (db, reader) = await StartAsync(prepare: d => d.ExecuteAsync("ALTER TABLE outbox ALTER COLUMN payload TYPE bytea USING NULL"));
        await using var _ = db;
        await using var __ = reader;
        var payload = new byte[70_000];
        new Random(7).NextBytes(payload);
        await using (var conn = new NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Blob', @p)", conn);
            cmd.Parameters.AddWithValue("p", payload);
            await cmd.ExecuteNonQueryAsync();
        }

        var batch = await reader.NextAsync();

        Assert.Equal(payload, Assert.IsType<byte[]>(Assert.Single(batch.Rows)["payload"]));
    }

    [Fact]
    public async Task One_batch_per_transaction_in_commit_order_even_when_transactions_interleave()
    {
        var (db, reader) = await StartAsync();
        await using var _ = db;
        await using var __ = reader;

        await using var first = new NpgsqlConnection(db.ConnectionString);
        await using var second = new NpgsqlConnection(db.ConnectionString);
        await first.OpenAsync();
        await second.OpenAsync();
        await using var t1 = await first.BeginTransactionAsync();
        await using var t2 = await second.BeginTransactionAsync();
        async Task Insert(NpgsqlConnection c, NpgsqlTransaction t, string id)
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO outbox (aggregatetype, aggregateid, type) VALUES ('order', '{id}', 'T')", c, t);
            await cmd.ExecuteNonQueryAsync();
        }
        await Insert(first, t1, "started-first-1");      // begins first ...
        await Insert(second, t2, "started-second-1");
        await Insert(second, t2, "started-second-2");
        await t2.CommitAsync();                           // ... but commits last
        await Insert(first, t1, "started-first-2");
        await t1.CommitAsync();
        await InsertAsync(db, 3, "third-");

        var a = await reader.NextAsync();
        var b = await reader.NextAsync();
        var c = await reader.NextAsync();

        Assert.Equal(["started-second-1", "started-second-2"], a.Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal(["started-first-1", "started-first-2"], b.Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal(["third-1", "third-2", "third-3"], c.Rows.Select(r => Text(r, "aggregateid")));
        var positions = new[] { a, b, c }.Select(Position).ToList();
        Assert.All(positions, p => Assert.True(p.Complete));
        Assert.Equal([2L, 2L, 3L], positions.Select(p => p.RowsDone));
        Assert.True(positions[0].CompareTo(positions[1]) < 0 && positions[1].CompareTo(positions[2]) < 0);
        Assert.All(positions, p => Assert.True((ulong)p.EndLsn > (ulong)p.CommitLsn));
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_large_transaction_is_split_into_chunks_of_at_most_MaxBatchRows()
    {
        var (db, reader) = await StartAsync(new Dictionary<string, string?> { ["MaxBatchRows"] = "10" });
        await using var _ = db;
        await using var __ = reader;
        await InsertAsync(db, 25);
        await InsertAsync(db, 10, "b"); // exactly one full chunk: still one complete batch

        var chunks = new[] { await reader.NextAsync(), await reader.NextAsync(), await reader.NextAsync(), await reader.NextAsync() };

        Assert.Equal([10, 10, 5, 10], chunks.Select(c => c.Rows.Count));
        var positions = chunks.Select(Position).ToList();
        Assert.Equal([false, false, true, true], positions.Select(p => p.Complete));
        Assert.Equal([10L, 20L, 25L, 10L], positions.Select(p => p.RowsDone));
        Assert.Single(positions.Take(3).Select(p => p.CommitLsn).Distinct());
        Assert.Equal(Enumerable.Range(1, 25).Select(i => "a" + i), chunks.Take(3).SelectMany(c => c.Rows).Select(r => Text(r, "aggregateid")));
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Insert_then_delete_still_yields_the_row_and_other_tables_never_appear()
    {
        var (db, reader) = await StartAsync(prepare: async d =>
        {
            // A publication that also carries another table with the same shape, and updates and deletes.
            await d.CreateOutboxAsync("other");
            await d.ExecuteAsync($"CREATE PUBLICATION {Slot(d)} FOR TABLE outbox, other");
        });
        await using var _ = db;
        await using var __ = reader;

        await InsertAsync(db, 2, "other-", table: "other");
        await db.ExecuteAsync("""
            BEGIN;
            INSERT INTO other (aggregatetype, aggregateid, type) VALUES ('order', 'other-in-tx', 'T');
            INSERT INTO outbox (aggregatetype, aggregateid, type) VALUES ('order', 'deleted-later', 'T');
            DELETE FROM outbox WHERE aggregateid = 'deleted-later';
            COMMIT;
            """);
        await InsertAsync(db, 1, "kept-");
        await db.ExecuteAsync("UPDATE outbox SET type = 'Changed'; DELETE FROM outbox; TRUNCATE other;");
        await InsertAsync(db, 1, "last-");

        Assert.Equal(["deleted-later"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal(["kept-1"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal(["last-1"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_restart_with_a_committed_position_skips_exactly_what_it_covers()
    {
        var settings = new Dictionary<string, string?> { ["MaxBatchRows"] = "10" };
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await db.CreateOutboxAsync();
        var all = new List<SourceBatch>();
        await using (var reader = new SourceReader(Create(db, settings: settings), null))
        {
            await WaitForSlotActiveAsync(db);
            await InsertAsync(db, 3, "one-");
            await InsertAsync(db, 25, "two-");
            await InsertAsync(db, 2, "three-");
            for (var i = 0; i < 5; i++) all.Add(await reader.NextAsync());
            // Nothing acknowledged: the slot replays everything on the next start.
        }
        Assert.Equal([3, 10, 10, 5, 2], all.Select(b => b.Rows.Count));

        async Task<List<string>> ResumeAsync(SourcePosition committed, int batches)
        {
            await using var reader = new SourceReader(Create(db, settings: settings), committed);
            var ids = new List<string>();
            for (var i = 0; i < batches; i++) ids.AddRange((await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
            await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
            return ids;
        }

        var afterFirst = await ResumeAsync(all[0].Position, 4);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => "two-" + i).Append("three-1").Append("three-2"), afterFirst);

        var afterPartial = await ResumeAsync(all[2].Position, 2); // 20 of the 25 rows are committed
        Assert.Equal(Enumerable.Range(21, 5).Select(i => "two-" + i).Append("three-1").Append("three-2"), afterPartial);

        var afterLastChunk = await ResumeAsync(all[3].Position, 1);
        Assert.Equal(["three-1", "three-2"], afterLastChunk);

        await using var atEnd = new SourceReader(Create(db, settings: settings), all[4].Position);
        await atEnd.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Acknowledge_advances_confirmed_flush_lsn_and_a_new_source_resumes_after_it()
    {
        // A long status interval keeps idle advancement out of this test.
        var settings = new Dictionary<string, string?> { ["StatusInterval"] = "00:10:00" };
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await db.CreateOutboxAsync();
        await using (var reader = new SourceReader(Create(db, settings: settings), null))
        {
            await WaitForSlotActiveAsync(db);
            await InsertAsync(db, 2, "one-");
            await InsertAsync(db, 1, "two-");
            var one = await reader.NextAsync();
            var two = await reader.NextAsync();
            var before = await ConfirmedFlushAsync(db, Slot(db));
            Assert.True((ulong)before!.Value < (ulong)Position(one).EndLsn);

            await reader.Source.AcknowledgeAsync(one.Position, CancellationToken.None);

            await EventuallyAsync(async () => await ConfirmedFlushAsync(db, Slot(db)) == Position(one).EndLsn, "confirmed_flush_lsn to reach the acknowledged transaction");
            Assert.NotEqual(Position(two).EndLsn, await ConfirmedFlushAsync(db, Slot(db)));
        }

        // No committed position: only the slot knows where to resume.
        await using var resumed = new SourceReader(Create(db, settings: settings), null);
        Assert.Equal(["two-1"], (await resumed.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Creates_its_publication_and_slot()
    {
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await db.CreateOutboxAsync();
        var suffix = db.Name[^12..];
        var name = $"Orders-EU.{suffix}"; // no Slot key: the default comes from the source name
        var expected = $"relay_orders_eu_{suffix}";
        var source = (PostgresReplicationSource)new PostgresReplicationSourceFactory().Create(Context(db.ConnectionString, name));
        await using var reader = new SourceReader(source, null);
        await WaitForSlotActiveAsync(db, expected);

        Assert.Equal("pgoutput", await db.ScalarAsync<string>($"SELECT plugin FROM pg_replication_slots WHERE slot_name = '{expected}'"));
        Assert.Equal("t f f f", await db.ScalarAsync<string>(
            $"SELECT concat_ws(' ', pubinsert, pubupdate, pubdelete, pubtruncate) FROM pg_publication WHERE pubname = '{expected}'"));
        Assert.Equal("public.outbox", await db.ScalarAsync<string>(
            $"SELECT string_agg(schemaname || '.' || tablename, ',') FROM pg_publication_tables WHERE pubname = '{expected}'"));
    }

    [Fact]
    public async Task A_missing_table_or_publication_that_may_not_be_created_is_fatal_and_names_the_key()
    {
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;

        await using (var reader = new SourceReader(Create(db), null))
        {
            var error = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
            Assert.Contains("Relay:Sources:orders:Outbox:Table", error.Message);
        }

        await db.CreateOutboxAsync();
        await using (var reader = new SourceReader(Create(db, settings: new Dictionary<string, string?> { ["CreatePublication"] = "false" }), null))
        {
            var error = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
            Assert.Contains("CREATE PUBLICATION", error.Message);
            Assert.Contains("Relay:Sources:orders:CreatePublication", error.Message);
        }
    }

    [Fact]
    public async Task A_role_without_REPLICATION_gets_a_fatal_error_naming_the_fix()
    {
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"CREATE PUBLICATION {Slot(db)} FOR TABLE outbox WITH (publish = 'insert')");
        var role = "relay_norep_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "n0rep-secret";
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}'");
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = password, Pooling = false }.ConnectionString;
            var settings = Settings(db, new Dictionary<string, string?> { ["CreatePublication"] = "false" });

            // Creating the slot needs REPLICATION ...
            var source = (PostgresReplicationSource)new PostgresReplicationSourceFactory().Create(Context(cs, settings: settings));
            await using (var reader = new SourceReader(source, null))
            {
                var error = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
                Assert.Contains($"ALTER ROLE \"{role}\" REPLICATION", error.Message);
                Assert.DoesNotContain(password, error.Message);
            }

            // ... and so does streaming from a slot someone else created.
            await db.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{Slot(db)}', 'pgoutput')");
            source = (PostgresReplicationSource)new PostgresReplicationSourceFactory().Create(Context(cs, settings: settings));
            await using (var reader = new SourceReader(source, null))
            {
                var error = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
                Assert.Contains($"ALTER ROLE \"{role}\" REPLICATION", error.Message);
                Assert.DoesNotContain(password, error.Message);
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await db.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task A_second_source_with_the_same_name_stands_by_while_the_first_holds_the_lease()
    {
        var db = await PostgresDatabase.CreateAsync();
        await using var _ = db;
        await using var first = Create(db);
        await using var second = Create(db);
        using var timeout = new CancellationTokenSource(Wait);

        await first.AcquireAsync(timeout.Token);
        var standing = second.AcquireAsync(timeout.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(standing.IsCompleted);

        await first.DisposeAsync();
        await standing.WaitAsync(Wait);
    }

    [Fact]
    public async Task An_idle_outbox_on_a_busy_database_does_not_hold_back_the_slot_but_unacknowledged_rows_do()
    {
        var (db, reader) = await StartAsync(new Dictionary<string, string?> { ["StatusInterval"] = "00:00:00.200" },
            prepare: d => d.ExecuteAsync("CREATE TABLE busy (id bigint GENERATED ALWAYS AS IDENTITY, filler text)"));
        await using var _ = db;
        await using var __ = reader;

        async Task WriteBusyAsync()
        {
            for (var i = 0; i < 10; i++)
                await db.ExecuteAsync("INSERT INTO busy (filler) SELECT repeat('x', 200) FROM generate_series(1, 500)");
        }

        // An emitted batch not yet acknowledged holds the slot, however much WAL follows.
        await InsertAsync(db, 1);
        var batch = await reader.NextAsync();
        await WriteBusyAsync();
        var afterBusy = await CurrentLsnAsync(db);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True((ulong)(await ConfirmedFlushAsync(db, Slot(db)))!.Value < (ulong)Position(batch).EndLsn);

        // Meanwhile the source hands out where the WAL stands, in batches without rows; once the sink committed one
        // (the pipeline acknowledges it after the batch above), the slot follows the WAL the server has streamed past.
        await reader.Source.AcknowledgeAsync(batch.Position, CancellationToken.None);
        await AcknowledgeIdlePastAsync(afterBusy);
        await EventuallyAsync(async () => new WalLsn((await ConfirmedFlushAsync(db, Slot(db)))!.Value) > afterBusy,
            "the slot to move past the busy table's WAL after the acknowledgement");

        var beforeMore = await CurrentLsnAsync(db);
        await WriteBusyAsync();
        await AcknowledgeIdlePastAsync(beforeMore);
        await EventuallyAsync(async () => new WalLsn((await ConfirmedFlushAsync(db, Slot(db)))!.Value) > beforeMore,
            "the slot to move past the busy table's WAL while the outbox is idle");

        async Task AcknowledgeIdlePastAsync(WalLsn lsn)
        {
            var idle = await reader.NextIdleAsync(p => WalPosition.TryParse(p.Value, out var w) && new WalLsn(w.EndLsn) > lsn);
            await reader.Source.AcknowledgeAsync(idle.Position, CancellationToken.None);
        }

        // And nothing the sink has not acknowledged was skipped: a row written now still arrives.
        await InsertAsync(db, 1, "after-idle-");
        Assert.Equal(["after-idle-1"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
    }
}
