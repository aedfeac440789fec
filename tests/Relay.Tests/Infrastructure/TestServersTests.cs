namespace Relay.Tests.Infrastructure;

/// <summary>The test servers are what the tests assume: a MariaDB/MySQL whose binary log suits row-based tailing.</summary>
public sealed class TestServersTests
{
    [Fact]
    public async Task MySql_server_logs_full_row_images_in_row_format()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT @@log_bin"));
        Assert.Equal("ROW", await db.ScalarAsync<string>("SELECT @@binlog_format"));
        Assert.Equal("FULL", await db.ScalarAsync<string>("SELECT @@binlog_row_image"));
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{\"a\": 1}')");
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE id REGEXP '^[0-9a-f-]{36}$'"));
    }

    [Fact]
    public async Task Private_MariaDb_starts_with_its_own_settings_and_survives_kill_9()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-checksum=NONE");
        Assert.Equal("NONE", await server.ScalarAsync("SELECT @@binlog_checksum"));
        await server.ExecuteAsync("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO d.t VALUES (1)");
        server.KillHard();
        await server.StartServerAsync();
        Assert.Equal(1L, Convert.ToInt64(await server.ScalarAsync("SELECT COUNT(*) FROM d.t")));
        Assert.True(Directory.GetFiles(server.BinlogDirectory, "mysql-bin.0*").Length >= 2, "a restart opens a new binary log");
    }
}
