using System.Threading.Channels;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// binlog_row_metadata=MINIMAL on a private MariaDB: the binlog does not name the columns, Relay names them from
/// information_schema, and a change of the outbox's columns stops the source loudly (naming the change, the position
/// and the remedy) instead of publishing values under names that may not be theirs.
/// </summary>
public sealed class MinimalRowMetadataTests
{
    private const string Source = "schema-minimal";

    /// <summary>The failure the reader ends with, asserting that no batch came before it.</summary>
    private static async Task<RelayFatalException> FailsBeforeAnyBatchAsync(SourceReader reader)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => reader.NextAsync());
        return Assert.IsType<RelayFatalException>(e is ChannelClosedException { InnerException: { } inner } ? inner : e);
    }

    private static void AssertRemedy(string message)
    {
        Assert.Contains("binlog_row_metadata = 'FULL'", message);
        Assert.Contains("MySqlPolling", message);
        Assert.Contains($"Relay offsets reset --source {Source} --delete", message);
    }

    [Fact]
    public async Task Rows_are_named_from_the_catalog_and_an_ALTER_of_the_outbox_stops_the_source_while_it_runs_and_after_a_restart()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=MINIMAL");
        var cs = await PrepareAsync(server);
        SourcePosition committed;
        await using (var reader = await StartAsync(cs, name: Source))
        {
            await InsertAsync(cs, 2, "a");
            var batch = await reader.NextAsync();
            Assert.Equal(
            [
                """seq=1 aggregatetype=order aggregateid=a1 type=Created payload={"n": 1} traceparent=NULL""",
                """seq=2 aggregatetype=order aggregateid=a2 type=Created payload={"n": 2} traceparent=NULL""",
            ], batch.Rows.Select(BinlogSchemaChangeTests.Describe));
            committed = batch.Position;

            // A rename keeps the table's shape: only the DDL in the binlog tells that the names moved.
            await InsertAsync(cs, 1, "b");
            Assert.Equal(["""seq=3 aggregatetype=order aggregateid=b1 type=Created payload={"n": 1} traceparent=NULL"""],
                (await reader.NextAsync()).Rows.Select(BinlogSchemaChangeTests.Describe));
            await server.ExecuteAsync("ALTER TABLE shop.outbox RENAME COLUMN type TO kind");
            await server.ExecuteAsync("""INSERT INTO shop.outbox (aggregatetype, aggregateid, kind, payload) VALUES ('order', 'c1', 'Renamed', '{"n": 1}')""");
            var running = Assert.IsType<RelayFatalException>(await reader.FailureAsync());
            Assert.Contains("the outbox table `shop`.`outbox` was changed at mysql-bin.000001:", running.Message);
            Assert.Contains("(ALTER TABLE shop.outbox RENAME COLUMN type TO kind), while this source was reading it", running.Message);
            AssertRemedy(running.Message);
        }

        // Restarted from before b1 and the rename: the catalog now says kind, which was type when b1 was logged. Nothing is published.
        await using var restarted = await StartAsync(cs, committed: committed, name: Source);
        var atStart = await FailsBeforeAnyBatchAsync(restarted);
        Assert.Contains("(ALTER TABLE shop.outbox RENAME COLUMN type TO kind), after the committed position, before this start read the table's columns", atStart.Message);
        AssertRemedy(atStart.Message);
    }

    [Fact]
    public async Task Rows_logged_before_an_unlogged_ALTER_stop_the_source_naming_the_columns_and_the_position()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-row-metadata=MINIMAL");
        var cs = await PrepareAsync(server);
        SourcePosition committed;
        await using (var reader = await StartAsync(cs, name: Source))
        {
            await InsertAsync(cs, 1, "a");
            committed = (await reader.NextAsync()).Position;
        }
        await InsertAsync(cs, 1, "b");
        var logged = await server.ScalarAsync("SELECT BINLOG_GTID_POS('mysql-bin.000001', 4)"); // the server answers: binlogging works
        Assert.NotNull(logged);
        // An ALTER the binlog does not show (sql_log_bin=0, as some online schema change tools and manual fixes run them).
        await server.ExecuteAsync("SET sql_log_bin = 0; ALTER TABLE shop.outbox ADD COLUMN tenant VARCHAR(40) NULL AFTER aggregateid");

        await using var restarted = await StartAsync(cs, committed: committed, name: Source);
        var e = await FailsBeforeAnyBatchAsync(restarted);
        Assert.Contains("rows of the outbox table `shop`.`outbox` at mysql-bin.000001:", e.Message);
        Assert.Contains("the TABLE_MAP has 7 columns, the supplied columns are 8 (id, seq, aggregatetype, aggregateid, tenant, type, payload, traceparent)", e.Message);
        AssertRemedy(e.Message);
    }
}
