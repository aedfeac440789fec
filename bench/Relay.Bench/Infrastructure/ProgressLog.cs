using System.Diagnostics;

namespace Relay.Bench.Infrastructure;

/// <summary>Progress on the console while the run goes: elapsed time, the step, and a rate line while a drain runs.</summary>
public static class ProgressLog
{
    private static readonly Stopwatch Run = Stopwatch.StartNew();
    private static readonly Lock Gate = new();
    private static bool _inline;

    public static void Step(string text) => Write($"[{Run.Elapsed:mm\\:ss}] {text}", inline: false);

    /// <summary>A line that the next status overwrites (a live counter).</summary>
    public static void Status(string text) => Write($"[{Run.Elapsed:mm\\:ss}]   {text}", inline: true);

    private static void Write(string line, bool inline)
    {
        lock (Gate)
        {
            var interactive = !Console.IsOutputRedirected;
            if (inline && !interactive) return; // a log file gets the steps only
            if (_inline) Console.Write("\r\u001b[2K");
            if (inline) Console.Write(line);
            else Console.WriteLine(line);
            _inline = inline;
        }
    }
}
