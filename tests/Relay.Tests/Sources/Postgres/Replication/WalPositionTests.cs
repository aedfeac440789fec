using NpgsqlTypes;
using Relay.Sources.Postgres.Replication;

namespace Relay.Tests.Sources.Postgres.Replication;

public class WalPositionTests
{
    [Theory]
    [InlineData(0x16B3748UL, 0x16B3780UL, 3L, true, "pgwal:0/16B3748:0/16B3780:3")]
    [InlineData(0x1_0000_0000UL, 0x1_0000_00A0UL, 0L, true, "pgwal:1/0:1/A0:0")]
    [InlineData(0xFFFFFFFF_00000010UL, 0UL, 1000L, false, "pgwal:FFFFFFFF/10:0/0:1000:partial")]
    public void Encodes_compactly_and_parses_back(ulong commit, ulong end, long rows, bool complete, string expected)
    {
        var position = new WalPosition(new NpgsqlLogSequenceNumber(commit), new NpgsqlLogSequenceNumber(end), rows, complete);

        Assert.Equal(expected, position.Encode());
        Assert.True(WalPosition.TryParse(position.Encode(), out var parsed));
        Assert.Equal(position, parsed);
        Assert.Equal(expected, position.Encode());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pgwal:")]
    [InlineData("binlog:0/1:0/2:1")]
    [InlineData("PGWAL:0/1:0/2:1")]
    [InlineData("pgwal:0/1:0/2")]
    [InlineData("pgwal:0/1:0/2:1:partial:x")]
    [InlineData("pgwal:0/1:0/2:1:done")]
    [InlineData("pgwal:01:0/2:1")]
    [InlineData("pgwal:0/1:/2:1")]
    [InlineData("pgwal:0/1:0/:1")]
    [InlineData("pgwal:0/G:0/2:1")]
    [InlineData("pgwal:123456789/0:0/2:1")]
    [InlineData("pgwal:0/1:0/2:-1")]
    [InlineData("pgwal:0/1:0/2:+1")]
    [InlineData("pgwal:0/1:0/2: 1")]
    [InlineData("pgwal:0/1:0/2:99999999999999999999")]
    [InlineData("pgwal:0/2:0/1:1")] // a complete transaction cannot end before it starts
    [InlineData("pgwal:0/1:0/1:1")]
    public void Rejects_bad_input(string? text)
    {
        Assert.False(WalPosition.TryParse(text, out _));
    }

    [Fact]
    public void Orders_by_transaction_then_rows()
    {
        static WalPosition P(ulong commit, long rows, bool complete) =>
            new(new NpgsqlLogSequenceNumber(commit), new NpgsqlLogSequenceNumber(complete ? commit + 8 : 0), rows, complete);

        Assert.True(P(10, 5, true).CompareTo(P(20, 1, false)) < 0);
        Assert.True(P(10, 5, false).CompareTo(P(10, 6, true)) < 0);
        Assert.True(P(10, 5, false).CompareTo(P(10, 5, true)) < 0);
        Assert.Equal(0, P(10, 5, true).CompareTo(P(10, 5, true)));
    }

    [Fact]
    public void An_idle_position_covers_every_transaction_committed_before_its_LSN_and_confirms_the_slot_to_it()
    {
        var idle = WalPosition.Idle(new NpgsqlLogSequenceNumber(200));
        Assert.True(WalPosition.TryParse(idle.Encode(), out var parsed));
        Assert.Equal(idle, parsed);
        Assert.Equal(new NpgsqlLogSequenceNumber(200), idle.EndLsn);
        Assert.Equal(long.MaxValue, new PgTransaction(new NpgsqlLogSequenceNumber(199), default, null).RowsCovered(idle));
        Assert.Equal(0, new PgTransaction(new NpgsqlLogSequenceNumber(200), default, null).RowsCovered(idle));
    }

    [Fact]
    public void Skips_earlier_transactions_the_published_part_of_the_committed_one_and_nothing_later()
    {
        var complete = new WalPosition(new NpgsqlLogSequenceNumber(100), new NpgsqlLogSequenceNumber(150), 7, true);
        var partial = complete with { EndLsn = default, RowsDone = 4, Complete = false };
        static PgTransaction Tx(ulong commitLsn) => new(new NpgsqlLogSequenceNumber(commitLsn), default, null);

        Assert.Equal(0, Tx(100).RowsCovered(null));
        Assert.Equal(long.MaxValue, Tx(99).RowsCovered(complete));
        Assert.Equal(long.MaxValue, Tx(100).RowsCovered(complete));
        Assert.Equal(4, Tx(100).RowsCovered(partial));
        Assert.Equal(0, Tx(101).RowsCovered(complete));
    }
}
