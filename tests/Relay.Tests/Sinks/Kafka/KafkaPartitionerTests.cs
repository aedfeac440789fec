using System.Text;
using Relay.Sinks.Kafka;

namespace Relay.Tests.Sinks.Kafka;

public class KafkaPartitionerTests
{
    // The vectors of Apache Kafka's own test of the Java client's hash: UtilsTest.testMurmur2 in
    // apache/kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_the_Java_client(string key, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.ASCII.GetBytes(key)));
    }

    [Fact]
    public void Partition_is_the_positive_hash_modulo_the_partition_count()
    {
        // murmur2("21") is negative: the sign bit is masked off (not Math.Abs), as in the Java client.
        var key = "21"u8;
        Assert.Equal((-973932308 & 0x7fffffff) % 7, KafkaPartitioner.PartitionFor(key, 7));
        Assert.Equal(0, KafkaPartitioner.PartitionFor(key, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KafkaPartitioner.PartitionFor("x"u8, 0));
    }
}
