using System.Buffers.Binary;

namespace Relay.Sinks.Kafka;

/// <summary>
/// The Java client's default key partitioning (org.apache.kafka.common.utils.Utils.murmur2, positive
/// hash modulo partitions). librdkafka's murmur2_random partitioner computes the same for non-empty
/// keys, so Java consumers and Kafka Streams agree with us on which partition owns a key.
/// </summary>
public static class KafkaPartitioner
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>MurmurHash2 (32 bit) with Kafka's seed, returned as Java's signed int.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        var h = Seed ^ (uint)data.Length;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        var tail = data[(blocks * 4)..];
        switch (tail.Length)
        {
            case 3:
                h ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                h ^= tail[0];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return unchecked((int)h);
    }

    /// <summary>The partition the Java client's default partitioner picks for a non-empty key.</summary>
    public static int PartitionFor(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (Murmur2(key) & 0x7fffffff) % partitions;
    }
}
