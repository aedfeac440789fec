using System.Diagnostics;

namespace Relay.Bench.Infrastructure;

/// <summary>One monotonic clock for writers and consumers in this process, so a latency is a difference of two readings of it.</summary>
public static class BenchClock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    public static double SecondsSince(long start) => Seconds(Now - start);
}
