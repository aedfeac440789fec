using System.Diagnostics.Tracing;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// Profiles the relay process from outside through EventPipe (the runtime's own tracing; no tool to install): the
/// sample profiler's managed stacks every millisecond, named through the JIT's method events, summed into the methods
/// where the process spends its time, exclusive and inclusive. Samples of threads that wait are left out.
/// </summary>
public sealed class EventPipeProfiler
{
    private static readonly string[] WaitFrames =
    [
        "WaitHandle.Wait", "Monitor.Wait", "Thread.Sleep", "LowLevelLifoSemaphore", "SocketAsyncEngine.EventLoop", "WaitForSocketEvents",
        "Interop+Sys.WaitForSocketEvents", "ManualResetEventSlim.Wait", "SemaphoreSlim.Wait", "Thread.Join", "WaitSubsystem", "LowLevelMonitor.Wait",
        "Interop+Sys.Read", "Confluent.Kafka.Impl.NativeMethods", "Librdkafka.poll", "Console", "TimerQueue.TimerThread", "WaitOneNoCheck",
        "PortableThreadPool+GateThread", "BlockingCollection", "SpinWait", "Task.SpinThenBlockingWait", "Thread.StartCore", "PollForEvents",
    ];

    private readonly EventPipeSession _session;
    private readonly Task _copying;
    private readonly string _file;

    private EventPipeProfiler(EventPipeSession session, string file)
    {
        _session = session;
        _file = file;
        _copying = Task.Run(async () =>
        {
            await using var output = File.Create(file);
            await session.EventStream.CopyToAsync(output);
        });
    }

    public static async Task<EventPipeProfiler> StartAsync(int pid, string directory)
    {
        Directory.CreateDirectory(directory);
        var providers = new[]
        {
            new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
            // GC at Verbose adds the allocation ticks (one event per ~100 KB allocated, with its type and stack): where the bytes come from.
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose,
                (long)(ClrTraceEventParser.Keywords.Jit | ClrTraceEventParser.Keywords.Loader | ClrTraceEventParser.Keywords.JittedMethodILToNativeMap | ClrTraceEventParser.Keywords.GC)),
        };
        // The diagnostics socket appears once the runtime is up.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var session = new DiagnosticsClient(pid).StartEventPipeSession(providers, requestRundown: true);
                return new EventPipeProfiler(session, Path.Combine(directory, $"relay-{pid}.nettrace"));
            }
            catch (Exception) when (attempt < 100)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>The event's stack, innermost first: each frame's method, or its module in brackets when unnamed.</summary>
    private static IEnumerable<string> Frames(TraceEvent e)
    {
        for (var frame = e.CallStack(); frame is not null; frame = frame.Caller)
        {
            var method = frame.CodeAddress.FullMethodName;
            yield return string.IsNullOrEmpty(method) ? $"[{frame.CodeAddress.ModuleName}]" : method;
        }
    }

    /// <summary>Ends the session and writes the top methods beside the trace; returns the report's path.</summary>
    public async Task<string> StopAndReportAsync(string title)
    {
        try { await _session.StopAsync(CancellationToken.None); }
        catch (ServerNotAvailableException) { } // the process is gone; what was streamed is kept
        await _copying;
        _session.Dispose();

        var etlx = TraceLog.CreateFromEventPipeDataFile(_file);
        using var log = new TraceLog(etlx);
        var exclusive = new Dictionary<string, int>();
        var inclusive = new Dictionary<string, int>();
        var samples = 0;
        var seen = new HashSet<string>();
        var allocatedByType = new Dictionary<string, long>();
        var allocatedBySite = new Dictionary<string, long>();
        long allocated = 0;
        foreach (var e in log.Events)
        {
            if (e is GCAllocationTickTraceData tick)
            {
                allocated += tick.AllocationAmount64;
                allocatedByType[tick.TypeName] = allocatedByType.GetValueOrDefault(tick.TypeName) + tick.AllocationAmount64;
                // The allocating site: its first named frames outside the async machinery (System.Runtime.CompilerServices).
                var site = string.Join(" <- ", Frames(e).Where(f => !f.StartsWith('[') && !f.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal)).Take(3));
                allocatedBySite[site] = allocatedBySite.GetValueOrDefault(site) + tick.AllocationAmount64;
                continue;
            }
            if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler") continue;
            var frames = Frames(e).ToList();
            if (frames.Count == 0 || frames.Take(6).Any(f => WaitFrames.Any(w => f.Contains(w, StringComparison.Ordinal)))) continue;
            samples++;
            exclusive[frames[0]] = exclusive.GetValueOrDefault(frames[0]) + 1;
            seen.Clear();
            foreach (var f in frames)
                if (seen.Add(f)) inclusive[f] = inclusive.GetValueOrDefault(f) + 1;
        }

        var report = new StringBuilder();
        report.AppendLine($"# {title}").AppendLine($"{samples} running samples (1 ms each, waiting threads left out)").AppendLine();
        report.AppendLine("## Exclusive (where the CPU is)");
        foreach (var (name, count) in exclusive.OrderByDescending(p => p.Value).Take(45))
            report.AppendLine($"{100.0 * count / samples,6:0.0}%  {name}");
        report.AppendLine().AppendLine("## Inclusive (what it is for)");
        foreach (var (name, count) in inclusive.OrderByDescending(p => p.Value).Take(90))
            report.AppendLine($"{100.0 * count / samples,6:0.0}%  {name}");
        if (allocated > 0)
        {
            report.AppendLine().AppendLine($"## Allocated bytes by type (sampled every ~100 KB; {allocated / 1_048_576.0:0.0} MB in all)");
            foreach (var (name, bytes) in allocatedByType.OrderByDescending(p => p.Value).Take(30))
                report.AppendLine($"{100.0 * bytes / allocated,6:0.0}%  {name}");
            report.AppendLine().AppendLine("## Allocated bytes by site");
            foreach (var (site, bytes) in allocatedBySite.OrderByDescending(p => p.Value).Take(40))
                report.AppendLine($"{100.0 * bytes / allocated,6:0.0}%  {site}");
        }
        var path = Path.ChangeExtension(_file, ".txt");
        await File.WriteAllTextAsync(path, report.ToString());
        return path;
    }
}
