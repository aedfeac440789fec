using MySqlConnector;
using Relay.Sources.MySql.Binlog;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// Two private MariaDB servers, the second a GTID replica of the first (log_slave_updates, so its binlog holds the
/// primary's transactions under their GTIDs): a position committed on one resumes on the other by GTID, and a
/// file/position alone is refused by the server it does not belong to.
/// </summary>
public sealed class BinlogTopologyTests
{
    private const string Source = "schema-topology";

    [Fact]
    public async Task A_GTID_position_committed_on_the_primary_resumes_on_its_replica_with_exactly_the_rest_and_a_file_position_is_refused_there()
    {
        await using var primary = await MariaDbInstance.StartAsync();
        await using var replica = await MariaDbInstance.StartAsync("--server-id=2", "--log-slave-updates=ON");
        await replica.ExecuteAsync($"CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {primary.Port}, MASTER_USER = 'root', MASTER_PASSWORD = '', " +
                                   "MASTER_USE_GTID = slave_pos; START SLAVE");
        var onPrimary = await PrepareAsync(primary);
        var onReplica = new MySqlConnectionStringBuilder(onPrimary) { Port = (uint)replica.Port }.ConnectionString;

        SourceBatch committed;
        await using (var reader = await StartAsync(onPrimary, name: Source))
        {
            await InsertAsync(onPrimary, 2, "a");
            committed = await reader.NextAsync();
            await InsertAsync(onPrimary, 1, "b");
            Assert.Equal(["b1"], (await reader.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
        }
        await InsertAsync(onPrimary, 2, "c");
        await CaughtUpAsync(replica, 5);

        // The relay moved to the replica (a failover, or a read replica chosen for the binlog): it resumes after a1, a2.
        var position = Position(committed);
        Assert.Equal("1", position.Server);
        Assert.Matches(@"^0-1-\d+$", position.Gtids);
        await using (var resumed = await StartAsync(onReplica, committed: committed.Position, name: Source))
        {
            var rows = new List<string>();
            while (rows.Count < 3) rows.AddRange((await resumed.NextAsync()).Rows.Select(r => Text(r, "aggregateid")));
            Assert.Equal(["b1", "c1", "c2"], rows);
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
        }

        // The same position without its GTIDs is a file/position of the primary's binlog: meaningless on the replica.
        var fileOnly = new SourcePosition((position with { Gtids = "" }).Encode());
        await using var refused = await StartAsync(onReplica, committed: fileOnly, name: Source);
        var e = Assert.IsType<RelayFatalException>(await refused.FailureAsync());
        Assert.Contains($"the committed position {position.File}:{position.Pos} is in the binlog of server 1, and this is server 2", e.Message);
        Assert.Contains("without GTIDs a file/position means nothing on another server", e.Message);
    }

    private static async Task CaughtUpAsync(MariaDbInstance replica, int rows)
    {
        var deadline = DateTime.UtcNow + SourceReader.Wait;
        while (true)
        {
            try
            {
                if (Convert.ToInt64(await replica.ScalarAsync("SELECT COUNT(*) FROM shop.outbox"), System.Globalization.CultureInfo.InvariantCulture) == rows) return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline)
            {
                // The database is not replicated yet.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The replica did not catch up: {await replica.ScalarAsync("SELECT CONCAT_WS(' ', @@gtid_slave_pos, @@gtid_current_pos)")}");
            await Task.Delay(100);
        }
    }
}
