using Relay.Binlog.Protocol;
using Relay.Sources.MySql.Binlog;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// Where a first start's dump begins on MySQL with GTIDs (no MySQL server runs here: vectors from the MySQL
/// documentation). The file/position and gtid_executed of SHOW MASTER STATUS come from different locks; the start
/// must be one consistent point: log_status's LOCAL snapshot, or the GTID set alone.
/// </summary>
public sealed class BinlogFirstStartTests
{
    private const string Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    [Fact]
    public void Log_status_local_is_read_as_one_consistent_file_position_and_gtid_set()
    {
        // performance_schema.log_status LOCAL as the 8.0 reference manual describes it (gtid_executed as the variable
        // prints it, a newline after each comma).
        var local = $$"""{"gtid_executed": "{{Uuid}}:1-5,\n4a0b7e3c-0000-11ee-8000-000000000002:1-3", "binary_log_file": "binlog.000003", "binary_log_position": 1307}""";
        Assert.Equal(("binlog.000003", 1307UL, $"{Uuid}:1-5,4a0b7e3c-0000-11ee-8000-000000000002:1-3"), BinlogServer.ParseLogStatus(local));
        // Binary logging off, or a later shape without the keys: no snapshot, and the GTID-set start does without it.
        Assert.Null(BinlogServer.ParseLogStatus("""{"gtid_executed": ""}"""));
        Assert.Null(BinlogServer.ParseLogStatus("{}"));
    }

    [Fact]
    public void Without_a_consistent_snapshot_the_first_dump_starts_from_the_gtid_set_and_with_one_from_its_position()
    {
        var bySet = new BinlogServer(false, Uuid, "binlog.000003", 1307, $"{Uuid}:1-5", true, []) { FirstStartByGtidSet = true }.FirstStart;
        Assert.Equal(BinlogStartKind.MySqlGtidSet, bySet.Kind);
        // COM_BINLOG_DUMP_GTID's SID block for 3e11fa47-...:1-5, written by hand: n_sids, uuid, n_intervals, [start, end).
        Assert.Equal(Convert.FromHexString("0100000000000000" + "3e11fa4771ca11e19e33c80aa9429562" + "0100000000000000" +
                                           "0100000000000000" + "0600000000000000"), bySet.MySqlGtidSet.ToArray());

        var byPosition = new BinlogServer(false, Uuid, "binlog.000003", 1307, $"{Uuid}:1-5", true, []).FirstStart;
        Assert.Equal((BinlogStartKind.File, "binlog.000003", 1307UL), (byPosition.Kind, byPosition.FileName, byPosition.Position));
    }
}
