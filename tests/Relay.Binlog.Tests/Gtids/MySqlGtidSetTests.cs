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

    /// <summary>
    /// Gtid_set::encode written out by hand from its documented layout (the COM_BINLOG_DUMP_GTID SID block and the
    /// PREVIOUS_GTIDS body): n_sids u64 LE; per source, in UUID order: the UUID's 16 bytes as printed, n_intervals u64,
    /// then each interval's start and end, end exclusive, as u64 LE.
    /// </summary>
    private static readonly byte[] UntaggedVector = Convert.FromHexString(
        "0200000000000000" +                 // n_sids 2
        "3e11fa4771ca11e19e33c80aa9429562" + // SID A
        "0200000000000000" +                 // n_intervals 2
        "0100000000000000" +                 // [1,
        "0600000000000000" +                 //     6): 1-5
        "0700000000000000" +                 // [7,
        "0a00000000000000" +                 //     10): 7-9
        "4a0b7e3c000011ee8000000000000002" + // SID B
        "0100000000000000" +                 // n_intervals 1
        "0100000000000000" +                 // [1,
        "0400000000000000");                 //     4): 1-3

    /// <summary>
    /// The tagged form (MySQL 8.3+): byte 0 and byte 7 of the first word are the format version 1, bytes 1-6 the number
    /// of (UUID, tag) pairs; each pair's UUID is followed by its tag as a serialization-library string (varlen length,
    /// value shifted left once: 0 is 0x00, 4 is 0x08) and the bytes, the untagged GTIDs having the empty tag first.
    /// </summary>
    private static readonly byte[] TaggedVector = Convert.FromHexString(
        "0102000000000001" +                 // version 1, 2 pairs, version 1
        "3e11fa4771ca11e19e33c80aa9429562" + // SID A
        "00" +                               // tag length 0 (untagged)
        "0100000000000000" +                 // n_intervals 1
        "0100000000000000" +                 // [1,
        "0500000000000000" +                 //     5): 1-4
        "3e11fa4771ca11e19e33c80aa9429562" + // SID A
        "08" + "61616161" +                  // tag length 4, "aaaa"
        "0100000000000000" +                 // n_intervals 1
        "0100000000000000" +                 // [1,
        "0200000000000000");                 //     2): 1

    [Fact]
    public void Encoding_matches_the_hand_written_layout_in_both_directions()
    {
        Assert.Equal(UntaggedVector, MySqlGtidSet.Parse($"{B}:1-3,{A}:7-9,{A}:1-5").Encode());
        Assert.Equal($"{A}:1-5:7-9,{B}:1-3", MySqlGtidSet.Decode(UntaggedVector).ToString());
        Assert.Equal(TaggedVector, MySqlGtidSet.Parse($"{A}:aaaa:1,{A}:1-4").Encode());
        Assert.Equal($"{A}:1-4:aaaa:1", MySqlGtidSet.Decode(TaggedVector).ToString());
        Assert.Equal(Convert.FromHexString("0000000000000000"), MySqlGtidSet.Parse("").Encode()); // n_sids 0
        // The set a COM_BINLOG_DUMP_GTID carries (its vector written by hand in CommandVectorTests) is this encoding.
        Assert.Equal(Protocol.CommandVectorTests.DumpGtidSet.ToArray(), MySqlGtidSet.Parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5").Encode());
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
