using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// The relay as its users run it: the built Relay.dll in a process of its own, configured only through environment
/// variables, from an empty working directory; measured from outside through /proc and its HTTP endpoint.
/// </summary>
public sealed class RelayUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _workDir;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampling;
    private Process? _perf;
    private Task<EventPipeProfiler>? _profiler;

    private RelayUnderTest(Process process, string workDir, int port)
    {
        _process = process;
        _workDir = workDir;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        Meter = new ProcessMeter(process.Id);
        StartedAt = BenchClock.Now;
        _sampling = SampleAsync(_stopSampling.Token);
    }

    /// <summary>
    /// The relay build measured as "current": RELAY_BENCH_RELAY (scripts/bench.sh publishes Relay there as the container
    /// image has it: self-contained, ReadyToRun composite), else the Relay.dll built beside the bench.
    /// </summary>
    public static string CurrentBuild { get; } =
        Environment.GetEnvironmentVariable("RELAY_BENCH_RELAY") is { Length: > 0 } published ? published : AppContext.BaseDirectory;

    public ProcessMeter Meter { get; }

    /// <summary>When the process was started (bench clock).</summary>
    public long StartedAt { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static RelayUnderTest Start(IReadOnlyDictionary<string, string> environment, string? relayDirectory = null)
    {
        var workDir = Directory.CreateTempSubdirectory("relay-bench-").FullName;
        var port = FreePort();
        var directory = relayDirectory ?? CurrentBuild;
        // A self-contained publish (the image's) runs through its own executable, with the runtime it carries.
        var apphost = Path.Combine(directory, "Relay");
        var selfContained = File.Exists(apphost) && File.Exists(Path.Combine(directory, "libcoreclr.so"));
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(selfContained ? apphost : dotnet)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!selfContained) info.ArgumentList.Add(Path.Combine(directory, "Relay.dll"));
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Relay__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["Relay__Http__Enabled"] = "true";
        info.Environment["Relay__Http__Address"] = "127.0.0.1";
        info.Environment["Relay__Http__Port"] = port.ToString();
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        // Runtime knobs to compare (e.g. DOTNET_TieredPGO=0), for every relay the bench starts: "KEY=VALUE;KEY=VALUE".
        foreach (var pair in (Environment.GetEnvironmentVariable("RELAY_BENCH_RELAY_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            if (pair.Split('=', 2) is [var name, var setting]) info.Environment[name] = setting;
        // Knobs for the current build only, so a baseline run beside it (RELAY_BENCH_BASELINE) is the A of an A/B test.
        if (relayDirectory is null)
            foreach (var pair in (Environment.GetEnvironmentVariable("RELAY_BENCH_CURRENT_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                if (pair.Split('=', 2) is [var name, var setting]) info.Environment[name] = setting;
        // Profiling: perf samples the relay with call graphs, and the runtime writes /tmp/perf-<pid>.map for the JIT-compiled frames.
        var perfDirectory = Environment.GetEnvironmentVariable("RELAY_BENCH_PERF");
        if (perfDirectory is { Length: > 0 })
        {
            info.Environment["DOTNET_PerfMapEnabled"] = "1";
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0"; // else JIT code sits in a memfd perf cannot map to the perf map
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Start();
        var relay = new RelayUnderTest(process, workDir, port);
        if (Environment.GetEnvironmentVariable("RELAY_BENCH_TRACE") is { Length: > 0 } traceDirectory)
            relay._profiler = EventPipeProfiler.StartAsync(process.Id, traceDirectory);
        if (perfDirectory is { Length: > 0 })
        {
            Directory.CreateDirectory(perfDirectory);
            relay._perf = Process.Start(new ProcessStartInfo("perf", ["record", "-F", "999", "-g", "-p", process.Id.ToString(), "-o", Path.Combine(perfDirectory, $"relay-{process.Id}.data")])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
        }
        process.OutputDataReceived += (_, e) => relay.Append(e.Data);
        process.ErrorDataReceived += (_, e) => relay.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return relay;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested && Meter.Sample())
                await Task.Delay(100, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits until /readyz answers 200 (every source streams).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            ThrowIfExited();
            try
            {
                using var response = await _http.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"The relay did not become ready within {timeout}.\n{Output}");
    }

    /// <summary>A counter from /metrics summed over its series (0 when absent).</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await _http.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' ')) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>Every series of /metrics summed per metric name (labels dropped).</summary>
    public async Task<Dictionary<string, double>> MetricsAsync()
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await _http.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var end = line.IndexOfAny(['{', ' ']);
            if (end <= 0 || !double.TryParse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var value)) continue;
            sums[line[..end]] = sums.GetValueOrDefault(line[..end]) + value;
        }
        return sums;
    }

    /// <summary>Context switches (voluntary and not) of the process's live threads, from /proc: a count of wake-ups that load does not inflate.</summary>
    public long ContextSwitches()
    {
        long total = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim());
                }
                catch (IOException) { } // the thread ended
            }
        }
        catch (IOException) { }
        return total;
    }

    public void ThrowIfExited()
    {
        if (_process.HasExited) throw new InvalidOperationException($"The relay exited with code {_process.ExitCode}:\n{Output}");
    }

    /// <summary>SIGTERM and wait; the meter keeps the last values it read before the exit.</summary>
    public async Task StopAsync()
    {
        Meter.Sample();
        if (_perf is { HasExited: false })
        {
            Process.Start("kill", ["-INT", _perf.Id.ToString()])?.WaitForExit();
            await _perf.WaitForExitAsync();
        }
        await _stopSampling.CancelAsync();
        await _sampling;
        if (_profiler is not null)
        {
            var report = await (await _profiler).StopAndReportAsync($"relay pid {_process.Id}");
            _profiler = null;
            ProgressLog.Step($"  profile: {report}");
        }
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        _http.Dispose();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
