using System.Diagnostics;

namespace Relay.Bench.Scenarios;

/// <summary>
/// Insert → visible per message, from the insert time the row carries ("t": µs since the epoch, the database's clock on
/// this machine) to the wall-clock time a consumer saw it; one consumer thread calls <see cref="OnMessage"/>.
/// </summary>
public sealed class FixedRateRecorder(int capacity)
{
    private readonly long[] _insertedMicros = new long[capacity];
    private readonly double[] _latencyMs = new double[capacity];
    // Wall-clock time of a bench-clock reading: one pair taken now, so a reading costs no system call for the wall clock.
    private readonly long _wallMicrosAtBase = DateTime.UtcNow.Ticks / 10 - DateTime.UnixEpoch.Ticks / 10;
    private readonly long _stopwatchAtBase = Stopwatch.GetTimestamp();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Now on the same clock as the rows' "t".</summary>
    public long WallMicros(long stopwatchTicks) => _wallMicrosAtBase + (long)((stopwatchTicks - _stopwatchAtBase) * 1_000_000.0 / Stopwatch.Frequency);

    public void OnMessage(ReadOnlyMemory<byte> value, long seenAt)
    {
        var t = ParseT(value.Span);
        if (t <= 0) return;
        var i = _count;
        if (i >= capacity) return;
        _insertedMicros[i] = t;
        _latencyMs[i] = Math.Max(0, (WallMicros(seenAt) - t) / 1000.0);
        Volatile.Write(ref _count, i + 1);
    }

    private static long ParseT(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf("\"t\""u8);
        if (at < 0) return -1;
        var i = at + 3;
        while (i < json.Length && (json[i] == (byte)':' || json[i] == (byte)' ')) i++;
        long t = 0;
        var digits = 0;
        while (i < json.Length && json[i] is >= (byte)'0' and <= (byte)'9')
        {
            t = t * 10 + (json[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : t;
    }

    /// <summary>Sorted latencies (ms) of rows inserted in [from, to) (µs since the epoch).</summary>
    public double[] Latencies(long from = long.MinValue, long to = long.MaxValue)
    {
        var result = new List<double>(Count);
        for (var i = 0; i < Count; i++)
            if (_insertedMicros[i] >= from && _insertedMicros[i] < to) result.Add(_latencyMs[i]);
        var array = result.ToArray();
        Array.Sort(array);
        return array;
    }

    /// <summary>The largest latency of the rows inserted in each <paramref name="bucketMicros"/> from <paramref name="startMicros"/> (NaN where none).</summary>
    public double[] MaxTimeline(long startMicros, long endMicros, long bucketMicros)
    {
        var buckets = new double[(int)Math.Max(1, (endMicros - startMicros + bucketMicros - 1) / bucketMicros)];
        Array.Fill(buckets, double.NaN);
        for (var i = 0; i < Count; i++)
        {
            var b = (_insertedMicros[i] - startMicros) / bucketMicros;
            if (b < 0 || b >= buckets.Length) continue;
            if (double.IsNaN(buckets[b]) || _latencyMs[i] > buckets[b]) buckets[b] = _latencyMs[i];
        }
        return buckets;
    }
}
