using Relay.Sources.Polling;
using Relay.Sources.Postgres.Polling;

namespace Relay.Tests.Sources.Postgres.Polling;

public class PolledPositionTests
{
    [Theory]
    [InlineData(new long[] { 1, 2, 3 }, "pgpoll:1..3")]
    [InlineData(new long[] { 9, 1, 2, 3, 7, 10 }, "pgpoll:1..3,7,9..10")]
    [InlineData(new long[] { 5 }, "pgpoll:5")]
    [InlineData(new long[] { -3, -2, 0, 4, 4 }, "pgpoll:-3..-2,0,4")]
    [InlineData(new long[] { }, "pgpoll:")]
    public void Encodes_sorted_ids_with_runs_as_ranges_and_parses_back(long[] ids, string expected)
    {
        var encoded = PolledPosition.Of(PolledPosition.PostgresPrefix, ids).Encode();
        Assert.Equal(expected, encoded.Value);
        Assert.True(PolledPosition.TryParse(PolledPosition.PostgresPrefix, encoded.Value, out var parsed));
        Assert.Equal(ids.Distinct().Order(), parsed.Ids);
    }

    [Fact]
    public void Round_trips_a_large_sparse_batch()
    {
        var ids = Enumerable.Range(0, 5000).Select(i => (long)i * 3 / 2 + 1_000_000_000_000).ToArray();
        Assert.True(PolledPosition.TryParse(PolledPosition.PostgresPrefix, PolledPosition.Of(PolledPosition.PostgresPrefix, ids).Encode().Value, out var parsed));
        Assert.Equal(ids, parsed.Ids);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0/16B3748")] // a replication source's LSN
    [InlineData("pgpoll")]
    [InlineData("PGPOLL:1")]
    [InlineData("pgpoll:a")]
    [InlineData("pgpoll:1,,2")]
    [InlineData("pgpoll:1,")]
    [InlineData("pgpoll:3,1")] // not ascending
    [InlineData("pgpoll:1..5,4")] // overlapping
    [InlineData("pgpoll:2..2")] // Encode never writes a one-id range
    [InlineData("pgpoll:5..1")]
    [InlineData("pgpoll:1..")]
    [InlineData("pgpoll:1..99999999999")] // would expand past MaxIds
    [InlineData("pgpoll:99999999999999999999")] // not a long
    public void Rejects_what_Encode_does_not_write(string? text)
    {
        Assert.False(PolledPosition.TryParse(PolledPosition.PostgresPrefix, text, out _));
    }
}
