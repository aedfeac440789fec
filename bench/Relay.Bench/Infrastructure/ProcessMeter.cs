namespace Relay.Bench.Infrastructure;

/// <summary>
/// A process measured from outside, as an operator would: resident memory from /proc/&lt;pid&gt;/status (VmHWM is the
/// kernel's own peak, so nothing between samples is missed) and CPU time from /proc/&lt;pid&gt;/stat.
/// </summary>
public sealed class ProcessMeter(int pid)
{
    // USER_HZ is 100 on every Linux the bench runs on.
    private const double ClockTicksPerSecond = 100.0;

    public long PeakRssBytes { get; private set; }

    /// <summary>Resident memory at the last sample (VmRSS).</summary>
    public long RssBytes { get; private set; }
    public double CpuSeconds { get; private set; }

    /// <summary>Reads the counters now; false once the process is gone (the last values stay).</summary>
    public bool Sample()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) PeakRssBytes = Math.Max(PeakRssBytes, Kilobytes(line) * 1024);
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) RssBytes = Kilobytes(line) * 1024;
            }
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            CpuSeconds = (long.Parse(fields[11]) + long.Parse(fields[12])) / ClockTicksPerSecond;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
