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

    private RelayUnderTest(Process process, string workDir, int port)
    {
        _process = process;
        _workDir = workDir;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        Meter = new ProcessMeter(process.Id);
        StartedAt = BenchClock.Now;
        _sampling = SampleAsync(_stopSampling.Token);
    }

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
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(relayDirectory ?? AppContext.BaseDirectory, "Relay.dll"));
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Relay__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["Relay__Http__Enabled"] = "true";
        info.Environment["Relay__Http__Address"] = "127.0.0.1";
        info.Environment["Relay__Http__Port"] = port.ToString();
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Start();
        var relay = new RelayUnderTest(process, workDir, port);
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

    public void ThrowIfExited()
    {
        if (_process.HasExited) throw new InvalidOperationException($"The relay exited with code {_process.ExitCode}:\n{Output}");
    }

    /// <summary>SIGTERM and wait; the meter keeps the last values it read before the exit.</summary>
    public async Task StopAsync()
    {
        Meter.Sample();
        await _stopSampling.CancelAsync();
        await _sampling;
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
