using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Postgres.Polling;
using Relay.Tests.Sources.Postgres.Replication;

namespace Relay.Tests.Sources;

/// <summary>
/// A column gives the same value, so the same header or topic text, whichever source read it: the normal form
/// of Relay.Sources.ValueText, defined once at the source boundary.
/// </summary>
public sealed class ValueNormalFormTests
{
    /// <summary>Column → (SQL type, literal, expected normal form).</summary>
    private static readonly (string Column, string Type, string Literal, string Expected)[] PostgresColumns =
    [
        ("flag", "boolean", "true", "true"),
        ("small", "smallint", "-7", "-7"),
        ("big", "bigint", "9223372036854775807", "9223372036854775807"),
        ("amount", "numeric(10,2)", "12.5", "12.50"),
        ("ratio", "double precision", "1.5", "1.5"),
        ("huge", "double precision", "1e20", "1E+20"),
        ("local_at", "timestamp(6)", "'2026-01-02 03:04:05.5'", "2026-01-02T03:04:05.5"),
        ("instant", "timestamptz", "'2026-01-02 03:04:05.123456+02'", "2026-01-02T01:04:05.123456Z"),
        ("whole_instant", "timestamptz", "'2026-01-02 03:04:05+00'", "2026-01-02T03:04:05Z"),
        ("day", "date", "'2026-01-02'", "2026-01-02"),
        ("clock", "time", "'03:04:05.25'", "03:04:05.25"),
        ("ref", "uuid", "'6F1C4D5E-0000-4000-8000-00000000000A'", "6f1c4d5e-0000-4000-8000-00000000000a"),
        ("doc", "jsonb", "'{\"b\": [1, 2], \"a\": \"x\"}'", "{\"a\": \"x\", \"b\": [1, 2]}"),
        ("label", "text", "'ünïcode'", "ünïcode"),
    ];

    private static string TypedColumns() => string.Join(", ", PostgresColumns.Select(c => $"ADD COLUMN {c.Column} {c.Type}"));

    private static string InsertRow() =>
        $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload, {string.Join(", ", PostgresColumns.Select(c => c.Column))}) " +
        $"VALUES ('order', '1', 'Typed', '{{}}', {string.Join(", ", PostgresColumns.Select(c => c.Literal))})";

    private static void AssertNormalForm(OutboxRow row)
    {
        foreach (var (column, _, _, expected) in PostgresColumns)
            Assert.True(Equals(expected, row[column]), $"{column}: expected {expected}, got {row[column]} ({row[column]?.GetType().Name})");
    }

    [Fact]
    public async Task Postgres_log_tailing_gives_each_type_in_the_normal_form()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"ALTER TABLE outbox {TypedColumns()}");
        // The session's own settings must not leak into the values: the relay fixes its own.
        await db.ExecuteAsync($"ALTER DATABASE {db.Name} SET TimeZone = 'America/New_York'; ALTER DATABASE {db.Name} SET DateStyle = 'SQL, DMY'");
        await using var reader = new SourceReader(ReplicationTestKit.Create(db), null);
        await ReplicationTestKit.WaitForSlotActiveAsync(db);
        await db.ExecuteAsync(InsertRow());

        AssertNormalForm(Assert.Single((await reader.NextAsync()).Rows));
    }

    [Fact]
    public async Task Postgres_polling_gives_each_type_in_the_same_normal_form()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync($"ALTER TABLE outbox {TypedColumns()}");
        await db.ExecuteAsync($"ALTER DATABASE {db.Name} SET TimeZone = 'America/New_York'; ALTER DATABASE {db.Name} SET DateStyle = 'SQL, DMY'");
        await db.ExecuteAsync(InsertRow());

        var (source, reader) = await PollingHarness.StartAsync(db.ConnectionString);
        await using (source)
        await using (reader)
        {
            AssertNormalForm(Assert.Single((await reader.NextAsync()).Rows));
        }
    }
}
