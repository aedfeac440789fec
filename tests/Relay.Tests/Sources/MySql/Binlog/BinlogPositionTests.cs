using Relay.Sources.MySql.Binlog;
using Relay.Binlog.Gtids;

namespace Relay.Tests.Sources.MySql.Binlog;

public sealed class BinlogPositionTests
{
    private static BinlogPosition Complete(string file, ulong pos, string gtids = "0-1-10", long rows = 0) =>
        new(true, "1", file, pos, gtids, rows, Complete: true);

    [Fact]
    public void Encodes_what_a_resume_needs_and_parses_back()
    {
        var complete = Complete("mysql-bin.000003", 4567, "0-1-55,1-2-7", 3);
        Assert.Equal("mysqlbinlog;flavor=MariaDB;server=1;file=mysql-bin.000003;pos=4567;gtids=0-1-55,1-2-7;rows=3", complete.Encode());
        Assert.True(BinlogPosition.TryParse(complete.Encode(), out var parsed));
        Assert.Equal(complete, parsed);

        var partial = new BinlogPosition(false, "3e11fa47-71ca-11e1-9e33-c80aa9429562", "binlog.000010", 120,
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-99", 500, Complete: false, "3e11fa47-71ca-11e1-9e33-c80aa9429562:100");
        Assert.EndsWith(";rows=500;tx=3e11fa47-71ca-11e1-9e33-c80aa9429562:100;partial", partial.Encode());
        Assert.True(BinlogPosition.TryParse(partial.Encode(), out var parsedPartial));
        Assert.Equal(partial, parsedPartial);

        // An undecided XA branch: the restart point is its prepare, with the GTIDs before it.
        var pending = complete with { ResumeFile = "mysql-bin.000002", ResumePos = 800, ResumeGtids = "0-1-40" };
        Assert.EndsWith(";rows=3;from=mysql-bin.000002;frompos=800;fromgtids=0-1-40", pending.Encode());
        Assert.True(BinlogPosition.TryParse(pending.Encode(), out var parsedPending));
        Assert.Equal(pending, parsedPending);
        Assert.Equal(0, pending.CompareTo(complete)); // ordered by progress, not by where a restart reads from
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pgwal:0/16B3748:0/16B3780:3")]
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;file=f.000001;pos=4;gtids=;rows=1;partial")] // partial without its transaction
    [InlineData("mysqlbinlog;flavor=Oracle;server=1;file=f.000001;pos=4;gtids=;rows=1")]
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;file=f.000001;pos=3;gtids=;rows=1")] // before the first event
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;file=f.000001;pos=9;gtids=;rows=-1")]
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;pos=9;gtids=;rows=1")]
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;file=f.000001;pos=9;gtids=;rows=1;bogus=2")]
    [InlineData("mysqlbinlog;flavor=MariaDB;server=1;file=f.000002;pos=9;gtids=;rows=1;from=f.000001;fromgtids=")] // a restart point without its position
    public void Rejects_what_Encode_does_not_write(string? text) => Assert.False(BinlogPosition.TryParse(text, out _));

    [Fact]
    public void Orders_by_file_number_then_position_and_puts_a_transaction_s_chunks_between_its_neighbours()
    {
        var before = Complete("mysql-bin.000009", 500);
        var chunk1 = before with { RowsDone = 10, Complete = false, Transaction = "0-1-11" };
        var chunk2 = chunk1 with { RowsDone = 20 };
        var after = Complete("mysql-bin.000009", 900, "0-1-11", 25);
        var nextFile = Complete("mysql-bin.000010", 4);
        var muchLater = Complete("mysql-bin.1000000", 4);
        BinlogPosition[] ordered = [before, chunk1, chunk2, after, nextFile, muchLater];
        for (var i = 0; i + 1 < ordered.Length; i++)
        {
            Assert.True(ordered[i].CompareTo(ordered[i + 1]) < 0, $"{ordered[i]} < {ordered[i + 1]}");
            Assert.True(ordered[i + 1].CompareTo(ordered[i]) > 0, $"{ordered[i + 1]} > {ordered[i]}");
        }
        Assert.Equal(0, after.CompareTo(after));
    }

    [Fact]
    public void A_transaction_is_skipped_whole_when_the_committed_GTIDs_include_it_and_in_part_when_the_position_is_inside_it()
    {
        var cursor = new BinlogCursor(true, "1", "mysql-bin.000002", 4, "0-1-10", Complete("mysql-bin.000002", 800, "0-1-10,1-1-3"));
        BinlogTransaction Tx(string gtid) => new(cursor, MariaDbGtid.Parse(gtid), null, "mysql-bin.000002", 800, null);
        Assert.Equal(long.MaxValue, Tx("0-1-9").RowsCovered(cursor.Committed));
        Assert.Equal(long.MaxValue, Tx("0-1-10").RowsCovered(cursor.Committed));
        Assert.Equal(0, Tx("0-1-11").RowsCovered(cursor.Committed));
        Assert.Equal(long.MaxValue, Tx("1-1-3").RowsCovered(cursor.Committed));
        Assert.Equal(0, Tx("2-1-1").RowsCovered(cursor.Committed)); // a domain the committed position has never seen

        var partial = new BinlogPosition(true, "1", "mysql-bin.000002", 800, "0-1-10", 40, Complete: false, "0-1-11");
        var inside = new BinlogCursor(true, "1", "mysql-bin.000002", 800, "0-1-10", partial);
        BinlogTransaction InsideTx(string gtid) => new(inside, MariaDbGtid.Parse(gtid), null, "mysql-bin.000002", 800, null);
        Assert.Equal(40, InsideTx("0-1-11").RowsCovered(partial));
        Assert.Equal(0, InsideTx("0-1-12").RowsCovered(partial));
        Assert.Equal(0, InsideTx("0-1-11").RowsCovered(null));
    }

    [Fact]
    public void Without_GTIDs_the_file_position_on_the_same_server_decides()
    {
        var committed = new BinlogPosition(false, "uuid-a", "binlog.000005", 1000, "", 0, Complete: true);
        var cursor = new BinlogCursor(false, "uuid-a", "binlog.000005", 1000, "", committed);
        BinlogTransaction At(string file, ulong pos) => new(cursor, null, null, file, pos, null);
        Assert.Equal(long.MaxValue, At("binlog.000004", 9000).RowsCovered(committed));
        Assert.Equal(long.MaxValue, At("binlog.000005", 500).RowsCovered(committed));
        Assert.Equal(0, At("binlog.000005", 1000).RowsCovered(committed));

        var partial = committed with { Complete = false, RowsDone = 7, Transaction = "" };
        Assert.Equal(7, At("binlog.000005", 1000).RowsCovered(partial));
    }
}
