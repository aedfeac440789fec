using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.MySql.Binlog;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>Binlog tailing against private MariaDB servers: server settings, purges, compression, a killed server.</summary>
public sealed class MySqlBinlogServerTests
{
    [Fact]
    public async Task A_binlog_purged_while_the_relay_was_down_stops_the_source_naming_what_is_missing_and_the_remedy()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        SourcePosition committed;
        await using (var reader = await StartAsync(cs))
        {
            await InsertAsync(cs, 1, "a");
            committed = (await reader.NextAsync()).Position;
        }
        // While the relay is down: rows are written, then the server's retention purges their binlog.
        await InsertAsync(cs, 1, "lost");
        await server.ExecuteAsync("FLUSH BINARY LOGS");
        await using (var conn = new MySqlConnection(server.AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var status = new MySqlCommand("SHOW MASTER STATUS", conn);
            var current = (string)(await status.ExecuteScalarAsync())!;
            // The server keeps a file a dump thread still reads: the old relay's thread ends shortly after its connection.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                await using (var purge = new MySqlCommand($"PURGE BINARY LOGS TO '{current}'", conn)) await purge.ExecuteNonQueryAsync();
                await using var count = new MySqlCommand("SHOW BINARY LOGS", conn);
                var files = new List<string>();
                await using (var reader = await count.ExecuteReaderAsync()) while (await reader.ReadAsync()) files.Add(reader.GetString(0));
                if (files.SequenceEqual([current])) break;
                Assert.True(DateTime.UtcNow < deadline, $"The server kept {string.Join(", ", files)}.");
                await Task.Delay(200);
            }
        }

        var source = Create(cs);
        await source.AcquireAsync(CancellationToken.None);
        await using var resumed = new SourceReader(source, committed);
        var e = Assert.IsType<RelayFatalException>(await resumed.FailureAsync());
        Assert.Contains("no longer on the server", e.Message);
        Assert.Contains(Position(new SourceBatch([], committed)).Gtids, e.Message); // names the GTIDs it needs
        Assert.Contains("MySqlPolling", e.Message);
        Assert.Contains("expire_logs_days", e.Message);
    }

    [Theory]
    [InlineData("--binlog-checksum=NONE")]
    [InlineData("--log-bin-compress=ON", "--log-bin-compress-min-len=10")]
    public async Task Streams_with_the_server_s_binlog_settings(params string[] settings)
    {
        await using var server = await MariaDbInstance.StartAsync(settings);
        var cs = await PrepareAsync(server);
        await using var reader = await StartAsync(cs);
        await InsertAsync(cs, 3, "x");
        var batch = await reader.NextAsync();
        Assert.Equal(["x1", "x2", "x3"], batch.Rows.Select(r => Text(r, "aggregateid")));
        Assert.Equal("{\"n\": 2}", batch.Rows[1]["payload"]);
    }

    [Theory]
    [InlineData("--binlog-format=STATEMENT", "binlog_format = ROW")]
    [InlineData("--binlog-row-image=MINIMAL", "binlog_row_image = FULL")]
    public async Task A_server_setting_that_loses_rows_is_fatal_naming_the_fix(string setting, string fix)
    {
        await using var server = await MariaDbInstance.StartAsync(setting);
        var cs = await PrepareAsync(server);
        var source = Create(cs);
        await source.AcquireAsync(CancellationToken.None);
        await using var reader = new SourceReader(source, null);
        var e = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
        Assert.Contains(fix, e.Message);
    }

    [Fact]
    public async Task Without_full_row_metadata_the_column_names_come_from_the_catalog()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=MINIMAL");
        var cs = await PrepareAsync(server);
        await using var reader = await StartAsync(cs);
        await InsertAsync(cs, 1, "m");
        var row = Assert.Single((await reader.NextAsync()).Rows);
        Assert.Equal("m1", row["aggregateid"]);
        Assert.Equal("{\"n\": 1}", row["payload"]);
    }

    [Fact]
    public async Task A_100000_row_transaction_arrives_whole_in_chunks()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        await using var reader = await StartAsync(cs, new Dictionary<string, string?> { ["MaxBatchRows"] = "5000" });
        await using (var conn = new MySqlConnection(cs))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand("""
                SET SESSION max_recursive_iterations = 200000;
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload)
                WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                SELECT 'order', CONCAT('agg', i % 97), 'Created', JSON_OBJECT('n', i) FROM n
                """, conn) { CommandTimeout = 300 };
            await cmd.ExecuteNonQueryAsync();
        }
        var rows = 0;
        var chunks = 0;
        while (rows < 100_000)
        {
            var batch = await reader.NextAsync(TimeSpan.FromSeconds(60));
            Assert.InRange(batch.Rows.Count, 1, 5000);
            Assert.Equal(rows + batch.Rows.Count == 100_000, Position(batch).Complete); // only the last chunk completes the transaction
            rows += batch.Rows.Count;
            chunks++;
        }
        Assert.Equal(100_000, rows);
        Assert.Equal(20, chunks);
        await reader.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_server_killed_mid_stream_is_reconnected_to_and_every_row_arrives_once_in_order()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var context = Context(cs, new Dictionary<string, string?> { ["MaxBatchRows"] = "50", ["StatusInterval"] = "00:00:00.250" });
        var factory = context.Services.GetRequiredService<MySqlBinlogSourceFactory>();
        var store = new RecordingStore();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new RelayTelemetry(services.GetRequiredService<IMeterFactory>());
        var pipeline = new SourcePipeline("orders", () => factory.Create(context), () => new RecordingSink(store),
            new OutboxRouter(RelayServices.Options<MySqlBinlogOptions>(context).Outbox, "orders"), 50, telemetry, NullLogger.Instance);

        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        await Eventually(() => store.Position is not null, "the first start's position in the sink");
        var written = 0;
        async Task WriteAsync(int transactions)
        {
            for (var t = 0; t < transactions; t++) await InsertAsync(cs, 1 + t % 5, $"w{written++}-");
        }
        await WriteAsync(40);
        await Eventually(() => store.Messages.Count > 20, "rows published before the kill");
        server.KillHard();
        await server.StartServerAsync();
        await WriteAsync(40);
        var expected = Convert.ToInt64(await server.ScalarAsync("SELECT COUNT(*) FROM shop.outbox"));
        await Eventually(() => store.Messages.Count >= expected, $"all {expected} rows after the server came back", TimeSpan.FromSeconds(90));
        await Task.Delay(500);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        var ids = new List<string>();
        await using (var conn = new MySqlConnection(cs))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand("SELECT CAST(id AS CHAR) FROM outbox ORDER BY seq", conn);
            await using var rows = await cmd.ExecuteReaderAsync();
            while (await rows.ReadAsync()) ids.Add(rows.GetString(0));
        }
        Assert.Equal(ids, store.Messages.Select(m => m.EventId!));
    }

    private static async Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(100);
        }
    }
}
