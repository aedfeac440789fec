using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Polling;
using Relay.Tests.Sources.Postgres.Replication;

namespace Relay.Tests.Sources;

/// <summary>
/// A column gives the same value, so the same header or topic text, whichever source read it: the normal form
/// of Relay.Sources.ValueText, defined once at the source boundary. Each type below exists on both engines
/// (booleans only on Postgres: MySQL's BOOLEAN is a TINYINT, and comes out as the number it is).
/// </summary>
public sealed class ValueNormalFormTests
{
    private sealed record TypedColumn(string Column, string PostgresType, string? MySqlType, string Literal, string Expected);

    private static readonly TypedColumn[] Columns =
    [
        new("flag", "boolean", null, "true", "true"),
        new("tiny_flag", "smallint", "TINYINT(1)", "1", "1"),
        new("small", "smallint", "SMALLINT", "-7", "-7"),
        new("big", "bigint", "BIGINT", "9223372036854775807", "9223372036854775807"),
        new("amount", "numeric(10,2)", "DECIMAL(10,2)", "12.5", "12.50"),
        new("ratio", "double precision", "DOUBLE", "1.5", "1.5"),
        new("huge", "double precision", "DOUBLE", "1e20", "1E+20"),
        new("local_at", "timestamp(6)", "DATETIME(6)", "'2026-01-02 03:04:05.5'", "2026-01-02T03:04:05.5"),
        // Written at UTC+2 on both (Postgres reads the offset; MySQL converts from the session's time zone).
        new("instant", "timestamptz", "TIMESTAMP(6) NULL", "'2026-01-02 03:04:05.123456'", "2026-01-02T01:04:05.123456Z"),
        new("day", "date", "DATE", "'2026-01-02'", "2026-01-02"),
        new("clock", "time(2)", "TIME(2)", "'03:04:05.25'", "03:04:05.25"),
        new("ref", "uuid", "CHAR(36)", "'6f1c4d5e-0000-4000-8000-00000000000a'", "6f1c4d5e-0000-4000-8000-00000000000a"),
        new("doc", "jsonb", "JSON", "'{\"a\": \"x\", \"b\": [1, 2]}'", "{\"a\": \"x\", \"b\": [1, 2]}"),
        new("label", "text", "TEXT", "'ünïcode'", "ünïcode"),
    ];

    private static IEnumerable<TypedColumn> For(OutboxDatabase db) => db.Engine == OutboxDatabase.Postgres ? Columns : Columns.Where(c => c.MySqlType is not null);

    private static async Task PrepareAsync(OutboxDatabase db)
    {
        await db.CreateOutboxAsync();
        var postgres = db.Engine == OutboxDatabase.Postgres;
        await db.ExecuteAsync($"ALTER TABLE outbox {string.Join(", ", For(db).Select(c => $"ADD COLUMN {c.Column} {(postgres ? c.PostgresType : c.MySqlType)}"))}");
        // The sessions' own settings must not leak into the values: the relay fixes its own.
        if (postgres)
            await db.ExecuteAsync($"ALTER DATABASE {db.Name} SET TimeZone = 'America/New_York'; ALTER DATABASE {db.Name} SET DateStyle = 'SQL, DMY'");
    }

    private static Task InsertAsync(OutboxDatabase db)
    {
        var columns = For(db).ToList();
        var literals = columns.Select(c => c.Column == "instant" && db.Engine == OutboxDatabase.Postgres ? c.Literal[..^1] + "+02'" : c.Literal);
        var zone = db.Engine == OutboxDatabase.MySql ? "SET time_zone = '+02:00'; " : "";
        return db.ExecuteAsync($"{zone}INSERT INTO outbox (aggregatetype, aggregateid, type, payload, {string.Join(", ", columns.Select(c => c.Column))}) " +
                               $"VALUES ('order', '1', 'Typed', '{{}}', {string.Join(", ", literals)})");
    }

    private static void AssertNormalForm(OutboxDatabase db, OutboxRow row)
    {
        foreach (var c in For(db))
            Assert.True(Equals(c.Expected, row[c.Column]), $"{c.Column}: expected {c.Expected}, got {row[c.Column]} ({row[c.Column]?.GetType().Name})");
    }

    [Fact]
    public async Task Postgres_log_tailing_gives_each_type_in_the_normal_form()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await PrepareAsync(db);
        await using var reader = new SourceReader(ReplicationTestKit.Create(db), null);
        await ReplicationTestKit.WaitForSlotActiveAsync(db);
        await InsertAsync(db);

        AssertNormalForm(db, Assert.Single((await reader.NextAsync()).Rows));
    }

    [Fact]
    public async Task MySql_binlog_tailing_gives_each_type_in_the_same_normal_form()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await PrepareAsync(db);
        await using var reader = await MySql.Binlog.BinlogTestKit.StartAsync(db.ConnectionString);
        await InsertAsync(db);

        AssertNormalForm(db, Assert.Single((await reader.NextAsync()).Rows));
    }

    [Theory]
    [MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))]
    public async Task Polling_gives_each_type_in_the_same_normal_form(string engine)
    {
        await using var db = await OutboxDatabase.CreateAsync(engine);
        await PrepareAsync(db);
        await InsertAsync(db);

        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            AssertNormalForm(db, Assert.Single((await reader.NextAsync()).Rows));
        }
    }
}
