using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's package, installed by scripts/test-servers.sh) scraping one target every
/// second, on a free loopback port with its own data directory; queried through its HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly HttpClient _client;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public static string Binary =>
        Environment.GetEnvironmentVariable("RELAY_TEST_PROMETHEUS") is { Length: > 0 } configured ? configured : "/usr/bin/prometheus";

    public static async Task<PrometheusServer> StartAsync(int targetPort)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException(
                $"Prometheus is not installed at {Binary}. Run `eval \"$(scripts/test-servers.sh)\"` first (it installs Debian's prometheus package), or set RELAY_TEST_PROMETHEUS to the binary.");
        var dir = Directory.CreateTempSubdirectory("relay-prometheus-").FullName;
        var port = LocalHost.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: relay
                static_configs:
                  - targets: ["127.0.0.1:{targetPort}"]
            """);
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var arg in new[]
                 {
                     $"--config.file={Path.Combine(dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
            info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var server = new PrometheusServer(process, dir, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Prometheus exited with {process.ExitCode}:\n{server.Output}");
            try
            {
                using var ready = await server._client.GetAsync("/-/ready");
                if (ready.IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Prometheus did not become ready:\n{server.Output}");
            await Task.Delay(200);
        }
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>An instant query: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var response = await _client.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Prometheus answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        var results = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var series in json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var value = double.Parse(series.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            results.Add((labels, value));
        }
        return results;
    }

    /// <summary>Queries until the result satisfies <paramref name="until"/> (scrapes come every second), or fails after a minute.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> WaitForAsync(
        string promql, Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        IReadOnlyList<(IReadOnlyDictionary<string, string>, double)> last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await QueryAsync(promql);
            if (until(last)) return last;
            await Task.Delay(500);
        }
        Assert.Fail($"Prometheus never answered {promql} as expected; last: {string.Join("; ", last.Select(r => $"{string.Join(",", r.Item1.Select(l => $"{l.Key}={l.Value}"))} = {r.Item2}"))}\n{Output}");
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _client.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
