using MySqlConnector;
using Relay.Sources.MySql.Polling;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sources.Polling;

namespace Relay.Tests.Sources.MySql.Polling;

/// <summary>What is MySQL's own in polling: its configuration, catalog messages, rights and types.</summary>
public sealed class MySqlPollingSourceTests
{
    private static List<string> Validate(string connectionString, Dictionary<string, string?>? keys = null) =>
        new MySqlPollingSourceFactory().Validate(PollingHarness.Context(connectionString, keys, kind: MySqlPollingSourceFactory.KindName)).ToList();

    [Fact]
    public void Configuration_errors_name_the_key_and_never_the_password()
    {
        Assert.Empty(Validate("Server=db;Database=shop;User ID=relay;Password=hunter2"));

        var missing = Assert.Single(Validate(""));
        Assert.Contains("Relay:Sources:orders:ConnectionString (environment variable Relay__Sources__orders__ConnectionString)", missing);
        Assert.Contains("Server=", missing);

        var bad = Assert.Single(Validate("Server=db;Password=hunter2;Bogus Key=1"));
        Assert.Contains("not a valid MySqlConnector connection string", bad);
        Assert.DoesNotContain("hunter2", bad);

        var noDatabase = Assert.Single(Validate("Server=db;User ID=relay;Password=hunter2"));
        Assert.Contains("Relay:Sources:orders:Outbox:Table", noDatabase);
        Assert.Contains("Database=", noDatabase);
        Assert.Empty(Validate("Server=db;User ID=relay;Password=hunter2", new() { ["Outbox:Table"] = "shop.outbox" }));
    }

    [Theory]
    [InlineData("AfterPublish=Mark", "Relay:Sources:orders:MarkColumn (environment variable Relay__Sources__orders__MarkColumn)", "ADD COLUMN `published_at` DATETIME(6);")]
    [InlineData("OrderColumn=position", "Relay:Sources:orders:OrderColumn", "ADD COLUMN `position` BIGINT NOT NULL AUTO_INCREMENT UNIQUE;")]
    [InlineData("Outbox:PayloadColumn=body", "Relay:Sources:orders:Outbox:PayloadColumn", "ADD COLUMN `body` JSON;")]
    [InlineData("OrderColumn=aggregateid", "Relay:Sources:orders:OrderColumn", "identity or auto-increment")]
    [InlineData("Outbox:Table=nope", "Relay:Sources:orders:Outbox:Table", "does not exist")]
    public async Task A_missing_table_or_column_is_fatal_naming_the_key_and_the_fix(string setting, string key, string fix)
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var (name, value) = (setting.Split('=')[0], setting.Split('=')[1]);

        var (source, reader) = await PollingHarness.StartAsync(db, new Dictionary<string, string?> { [name] = value });
        await using (source)
        await using (reader)
        {
            var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
            Assert.Contains(key, e.Message);
            Assert.Contains(fix, e.Message);
            Assert.DoesNotContain("Password", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("Delete", "GRANT SELECT, DELETE ON")]
    [InlineData("Mark", "GRANT SELECT, UPDATE ON")]
    public async Task Missing_rights_are_fatal_with_the_grant(string afterPublish, string grant)
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN published_at DATETIME(6) NULL");
        var user = "ro_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON {db.Name}.outbox TO '{user}'@'%';");
        try
        {
            var cs = new MySqlConnectionStringBuilder(db.ConnectionString) { UserID = user, Password = "pw" }.ConnectionString;
            var (source, reader) = await PollingHarness.StartAsync(cs, new Dictionary<string, string?> { ["AfterPublish"] = afterPublish }, kind: MySqlPollingSourceFactory.KindName);
            await using (source)
            await using (reader)
            {
                var e = await Assert.ThrowsAsync<RelayFatalException>(() => reader.NextAsync());
                Assert.Contains($"{grant} `{db.Name}`.`outbox` TO '{user}'@'%';", e.Message);
            }
        }
        finally
        {
            await db.ExecuteAsync($"DROP USER '{user}'@'%'");
        }
    }

    [Fact]
    public async Task Binary_columns_are_bytes_and_char_uuids_text()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("ALTER TABLE outbox ADD COLUMN raw_id BINARY(16), ADD COLUMN blob_body LONGBLOB");
        await db.ExecuteAsync("""
            INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, raw_id, blob_body)
            VALUES ('6f1c4d5e-0000-4000-8000-000000000001', 'order', '1', 'T', NULL, UNHEX('6F1C4D5E000040008000000000000001'), x'00FF10')
            """);

        var (source, reader) = await PollingHarness.StartAsync(db);
        await using (source)
        await using (reader)
        {
            var row = Assert.Single((await reader.NextAsync()).Rows);
            Assert.Equal("6f1c4d5e-0000-4000-8000-000000000001", row["id"]);
            Assert.Equal(Convert.FromHexString("6F1C4D5E000040008000000000000001"), Assert.IsType<byte[]>(row["raw_id"]));
            Assert.Equal(new byte[] { 0x00, 0xff, 0x10 }, Assert.IsType<byte[]>(row["blob_body"]));
        }
    }
}
