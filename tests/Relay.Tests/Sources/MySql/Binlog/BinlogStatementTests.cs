using Relay.Sources.MySql.Binlog;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>The statement texts MariaDB 10.11 logged for XA decisions and savepoints (printed with mariadb-binlog), and MySQL's forms.</summary>
public sealed class BinlogStatementTests
{
    [Theory]
    [InlineData("XA COMMIT X'7831',X'',1", true, "X'7831',X'',1")]
    [InlineData("XA ROLLBACK X'72656C6179',X'AB',1", false, "X'72656c6179',X'ab',1")]
    public void XA_decisions_name_the_branch_as_its_prepare_does(string statement, bool commit, string xid)
    {
        Assert.True(BinlogStatement.TryParseXaDecision(statement, out var isCommit, out var parsed));
        Assert.Equal(commit, isCommit);
        Assert.Equal(xid, parsed);
    }

    [Theory]
    [InlineData("XA COMMIT X'7831',X'',1 ONE PHASE")] // committed where its rows are: an ordinary transaction
    [InlineData("XA END X'7831',X'',1")]
    [InlineData("XA START X'7831',X'',1")]
    [InlineData("COMMIT")]
    public void Other_XA_statements_decide_nothing(string statement) => Assert.False(BinlogStatement.TryParseXaDecision(statement, out _, out _));

    [Theory]
    [InlineData("SAVEPOINT `s1`", "s1")]
    [InlineData("SAVEPOINT `We``ird`", "we`ird")]
    [InlineData("SAVEPOINT plain", "plain")]
    public void Savepoints(string statement, string name)
    {
        Assert.True(BinlogStatement.TryParseSavepoint(statement, out var parsed));
        Assert.Equal(name, parsed);
    }

    [Theory]
    [InlineData("ROLLBACK TO `s1`", "s1")]
    [InlineData("ROLLBACK TO SAVEPOINT `S1`", "s1")]
    [InlineData("ROLLBACK WORK TO SAVEPOINT s1", "s1")]
    public void Rollbacks_to_a_savepoint(string statement, string name)
    {
        Assert.True(BinlogStatement.TryParseRollbackTo(statement, out var parsed));
        Assert.Equal(name, parsed);
    }

    [Theory]
    [InlineData("ROLLBACK")]
    [InlineData("SAVEPOINTS")]
    [InlineData("RELEASE SAVEPOINT `s1`")]
    public void Not_savepoint_statements(string statement)
    {
        Assert.False(BinlogStatement.TryParseRollbackTo(statement, out _));
        Assert.False(BinlogStatement.TryParseSavepoint(statement, out _));
    }
}
