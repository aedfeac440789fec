using Relay.Bench.Infrastructure;

namespace Relay.Bench.Scenarios;

/// <summary>
/// Per message n: when its writer saw the commit return, and when a consumer first saw it. The payload carries n
/// ({"n": 123, ...}), so no clock has to travel through the database.
/// </summary>
public sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _committedAt = new long[capacity];
    private readonly long[] _seenAt = new long[capacity];
    private long _seen;

    public int Capacity => capacity;

    public long Seen => Interlocked.Read(ref _seen);

    public void Committed(long first, int count, long at)
    {
        for (var n = first; n < first + count; n++) _committedAt[n] = at;
    }

    public void OnMessage(ReadOnlyMemory<byte> value, long at)
    {
        var n = ParseN(value.Span);
        if (n < 0 || n >= capacity || _seenAt[n] != 0) return;
        _seenAt[n] = at;
        Interlocked.Increment(ref _seen);
    }

    /// <summary>Finds "n" and reads the digits after its colon; -1 when absent.</summary>
    private static long ParseN(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf("\"n\""u8);
        if (at < 0) return -1;
        var i = at + 3;
        while (i < json.Length && (json[i] == (byte)':' || json[i] == (byte)' ')) i++;
        long n = 0;
        var digits = 0;
        while (i < json.Length && json[i] is >= (byte)'0' and <= (byte)'9')
        {
            n = n * 10 + (json[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : n;
    }

    public long CountCommitted(long count)
    {
        long committed = 0;
        for (var n = 0; n < count; n++) if (_committedAt[n] != 0) committed++;
        return committed;
    }

    /// <summary>Latencies in milliseconds of messages 0..count-1 committed between the given times (bench clock).</summary>
    public double[] Latencies(long count, long from = long.MinValue, long to = long.MaxValue)
    {
        var result = new List<double>((int)count);
        for (var n = 0; n < count; n++)
        {
            var committed = _committedAt[n];
            if (committed == 0 || committed < from || committed >= to) continue;
            var seen = _seenAt[n];
            if (seen == 0) continue;
            // A consumer may see the row a hair before its writer hears the commit return.
            result.Add(Math.Max(0, BenchClock.Milliseconds(seen - committed)));
        }
        var array = result.ToArray();
        Array.Sort(array);
        return array;
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
