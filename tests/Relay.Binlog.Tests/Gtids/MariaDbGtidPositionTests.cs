using Relay.Binlog.Gtids;

namespace Relay.Binlog.Tests.Gtids;

/// <summary>MariaDB positions as @@gtid_current_pos prints them: one domain-server-sequence per domain.</summary>
public sealed class MariaDbGtidPositionTests
{
    [Fact]
    public void Parses_prints_and_updates_one_entry_per_domain()
    {
        var position = MariaDbGtidPosition.Parse("1-2-5, 0-1-100");
        Assert.Equal("0-1-100,1-2-5", position.ToString());
        position.Update(MariaDbGtid.Parse("0-3-101"));
        position.Update(new MariaDbGtid(7, 1, 1));
        Assert.Equal("0-3-101,1-2-5,7-1-1", position.ToString());
        Assert.True(position.TryGet(1, out var gtid));
        Assert.Equal(new MariaDbGtid(1, 2, 5), gtid);
        Assert.False(position.TryGet(2, out _));
        Assert.Equal(0, MariaDbGtidPosition.Parse("").Count);
        Assert.Equal("18446744073709551615", MariaDbGtid.Parse("4294967295-4294967295-18446744073709551615").Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("0-1-100,0-2-101")]
    [InlineData("0-1")]
    [InlineData("a-1-1")]
    [InlineData("0-1-1,")]
    [InlineData("-1-1-1")]
    public void Rejects_malformed_positions(string text)
    {
        Assert.Throws<FormatException>(() => MariaDbGtidPosition.Parse(text));
    }

    [Fact]
    public async Task Round_trips_what_the_server_prints()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)");
        var printed = await db.ScalarAsync<string>("SELECT @@gtid_current_pos");
        var position = MariaDbGtidPosition.Parse(printed);
        Assert.Equal(printed.Split(',').Order(StringComparer.Ordinal), position.ToString().Split(',').Order(StringComparer.Ordinal));
    }
}
