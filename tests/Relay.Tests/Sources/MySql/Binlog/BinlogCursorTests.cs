using Relay.Sources.MySql.Binlog;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>What the idle timer reads of the cursor, on its own thread while the reader moves on.</summary>
public sealed class BinlogCursorTests
{
    [Fact]
    public void The_idle_position_is_the_last_group_boundary_never_a_file_and_position_of_two_moments()
    {
        var cursor = new BinlogCursor(true, "1", "mysql-bin.000001", 1000, "0-1-5", null);
        // The reader is in a ROTATE's middle: the new file set, its position not yet.
        cursor.File = "mysql-bin.000002";
        var idle = cursor.Idle();
        Assert.Equal(("mysql-bin.000001", 1000UL), (idle.File, idle.Pos));
        cursor.Position = 4;
        cursor.Settle();
        Assert.Equal(("mysql-bin.000002", 4UL), (cursor.Idle().File, cursor.Idle().Pos));
    }

    [Fact]
    public void While_a_branch_is_undecided_every_position_names_its_prepare_as_the_restart_point()
    {
        var cursor = new BinlogCursor(true, "1", "mysql-bin.000003", 500, "0-1-5", null);
        cursor.Prepared(new PreparedBranch("X'62',X'',1", "mysql-bin.000003", 300, "0-1-4", [], 0, []));
        cursor.Prepared(new PreparedBranch("X'61',X'',1", "mysql-bin.000002", 900, "0-1-2", [], 0, []));
        var held = cursor.Idle();
        Assert.Equal(("mysql-bin.000002", 900UL, "0-1-2"), (held.ResumeFile, held.ResumePos, held.ResumeGtids));
        cursor.Decided("X'61',X'',1");
        Assert.Equal(("mysql-bin.000003", 300UL), (cursor.Idle().ResumeFile, cursor.Idle().ResumePos));
        cursor.Decided("X'62',X'',1");
        Assert.Equal("", cursor.Idle().ResumeFile);
    }
}
