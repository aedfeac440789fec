using Relay.Binlog.Events;
using static Relay.Binlog.Tests.Events.EventBytes;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// XA_PREPARE_LOG (38), per control_events.h (XA_prepare_event): one_phase (1 byte), then the XID as MYSQL_XID stores it:
/// formatID (4, signed), gtrid_length (4), bqual_length (4), the gtrid and bqual bytes. Its text must read as the server
/// writes the XID in the XA COMMIT statement that decides the branch ("XA COMMIT X'7831',X'',1", seen on MariaDB 10.11).
/// </summary>
public sealed class XaPrepareEventTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void An_XA_prepare_names_its_branch_as_the_deciding_statement_does(byte onePhase, bool expectedOnePhase)
    {
        var decoder = new BinlogEventDecoder();
        decoder.Feed(Event(15, FormatDescriptionBody("8.4.3", 1, MySql8PostHeaders)));
        decoder.TryRead(out _);
        byte[] body =
        [
            onePhase,
            0x01, 0x00, 0x00, 0x00,           // formatID 1
            0x02, 0x00, 0x00, 0x00,           // gtrid_length 2
            0x01, 0x00, 0x00, 0x00,           // bqual_length 1
            (byte)'x', (byte)'1', 0xAB,       // gtrid "x1", bqual 0xAB
        ];
        decoder.Feed(Event(38, body));
        Assert.True(decoder.TryRead(out var e));
        var prepare = Assert.IsType<XaPrepareEvent>(e);
        Assert.Equal(expectedOnePhase, prepare.OnePhase);
        Assert.Equal("X'7831',X'ab',1", prepare.Xid);
    }
}
