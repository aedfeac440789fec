using Relay.Tests.Sources.Polling;
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
}
