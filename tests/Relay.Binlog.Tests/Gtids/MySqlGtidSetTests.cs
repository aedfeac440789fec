using Relay.Binlog.Gtids;

namespace Relay.Binlog.Tests.Gtids;

/// <summary>MySQL GTID sets: the text form of @@gtid_executed (with 8.3 tags) and the binary form of Gtid_set::encode.</summary>
public sealed class MySqlGtidSetTests
{
    private const string A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private const string B = "4a0b7e3c-0000-11ee-8000-000000000002";

    [Theory]
    [InlineData($"{A}:1-5:7-9,{B}:1-3", $"{A}:1-5:7-9,{B}:1-3")]
    [InlineData($"{B}:1-3, {A}:7-9:1-5", $"{A}:1-5:7-9,{B}:1-3")]
    [InlineData($"{A}:1-3:4:5-6", $"{A}:1-6")]
    [InlineData($"{A}:Domain_1:1-3:15-21, {A}:Domain_2:8-52", $"{A}:domain_1:1-3:15-21:domain_2:8-52")]
    [InlineData($"{A}:1-4,{A}:aaaa:1", $"{A}:1-4:aaaa:1")]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562:1", $"{A}:1")]
    [InlineData("", "")]
    public void Parses_and_prints_as_mysql_does(string text, string printed)
    {
        Assert.Equal(printed, MySqlGtidSet.Parse(text).ToString());
    }

    [Theory]
    [InlineData("not-a-uuid:1")]
    [InlineData($"{A}:0")]
    [InlineData($"{A}:5-3")]
    [InlineData($"{A}:1-x")]
    [InlineData($"{A}:9tag:1")]
    [InlineData($"{A}:tag_with_more_than_thirty_two_characters:1")]
    [InlineData($"{A}:1,,{B}:1")]
    public void Rejects_what_mysql_rejects(string text)
    {
        Assert.False(MySqlGtidSet.TryParse(text, out _, out var error));
        Assert.NotNull(error);
        Assert.Throws<FormatException>(() => MySqlGtidSet.Parse(text));
    }

    [Fact]
    public void Adding_merges_intervals_and_contains_answers_by_source_and_tag()
    {
        var set = MySqlGtidSet.Parse($"{A}:1-3:7");
        var uuid = Guid.Parse(A);
        set.Add(uuid, null, 5);
        Assert.Equal($"{A}:1-3:5:7", set.ToString());
        set.Add(new MySqlGtid(uuid, null, 4));
        set.Add(uuid, null, 6);
        Assert.Equal($"{A}:1-7", set.ToString());
        set.Add(uuid, "Batch", 2);
        Assert.Equal($"{A}:1-7:batch:2", set.ToString());
        Assert.True(set.Contains(uuid, null, 7));
        Assert.False(set.Contains(uuid, null, 8));
        Assert.True(set.Contains(new MySqlGtid(uuid, "batch", 2)));
        Assert.False(set.Contains(uuid, "batch", 1));
        Assert.False(set.Contains(Guid.Parse(B), null, 1));
        Assert.Equal([new MySqlGtidSet.Interval(1, 7)], set.IntervalsOf(uuid));
    }

    [Fact]
    public void Binary_encoding_round_trips_and_matches_the_layout()
    {
        var set = MySqlGtidSet.Parse($"{A}:1-5:7-9,{B}:1-3");
        var bytes = set.Encode();
        // n_sids, then per source: uuid, n_intervals, [start, end + 1) pairs.
        Assert.Equal(8 + (16 + 8 + 2 * 16) + (16 + 8 + 16), bytes.Length);
        Assert.Equal(2UL, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal(Convert.FromHexString("3e11fa4771ca11e19e33c80aa9429562"), bytes[8..24]);
        Assert.Equal([1L, 6L, 7L, 10L], [BitConverter.ToInt64(bytes, 32), BitConverter.ToInt64(bytes, 40), BitConverter.ToInt64(bytes, 48), BitConverter.ToInt64(bytes, 56)]);
        Assert.Equal(set.ToString(), MySqlGtidSet.Decode(bytes).ToString());

        var tagged = MySqlGtidSet.Parse($"{A}:1-4:aaaa:1");
        var taggedBytes = tagged.Encode();
        Assert.Equal(1UL << 56 | 2UL << 8 | 1, BitConverter.ToUInt64(taggedBytes, 0));
        Assert.Equal(tagged.ToString(), MySqlGtidSet.Decode(taggedBytes).ToString());
        Assert.Equal(8, MySqlGtidSet.Parse("").Encode().Length);
    }

    [Fact]
    public void Malformed_encodings_are_errors()
    {
        var bytes = MySqlGtidSet.Parse($"{A}:1-5").Encode();
        Assert.Throws<FormatException>(() => MySqlGtidSet.Decode(bytes[..^1]));
        var overlapping = MySqlGtidSet.Parse($"{A}:1-5:7-9").Encode();
        BitConverter.GetBytes(3L).CopyTo(overlapping, 48); // second interval starts inside the first
        Assert.Throws<FormatException>(() => MySqlGtidSet.Decode(overlapping));
        var format = MySqlGtidSet.Parse($"{A}:1").Encode();
        format[7] = 2;
        Assert.Throws<FormatException>(() => MySqlGtidSet.Decode(format));
    }
}
