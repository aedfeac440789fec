using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Relay.Tests.Infrastructure;

/// <summary>The relay process's HTTP endpoint: a free port to give it, and the three paths it serves.</summary>
public sealed class RelayHttp : IDisposable
{
    private readonly HttpClient _client;

    public RelayHttp(int port)
    {
        Port = port;
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    /// <summary>The environment that turns the endpoint on at <paramref name="port"/>.</summary>
    public static Dictionary<string, string> Environment(int port) => new()
    {
        ["Relay__Http__Enabled"] = "true",
        ["Relay__Http__Port"] = port.ToString(),
    };

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>/readyz parsed: the HTTP status and the state of each source.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync()
    {
        var (status, body) = await GetAsync("/readyz");
        return (status, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>Polls /readyz until <paramref name="until"/> holds for it; fails with the relay's output when the relay exits or a minute passes.</summary>
    public async Task<JsonElement> WaitForReadinessAsync(RelayProcess relay, Func<HttpStatusCode, JsonElement, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        string last = "(no answer)";
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(relay.HasExited, $"The relay exited with {(relay.HasExited ? relay.ExitCode : 0)}:\n{relay.Output}");
            try
            {
                var (status, body) = await ReadinessAsync();
                if (until(status, body)) return body;
                last = $"{(int)status} {body}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message; // not listening yet, or too slow to answer on a loaded machine: ask again
            }
            await Task.Delay(100);
        }
        Assert.Fail($"/readyz never reached the expected state; last answer: {last}\n{relay.Output}");
        return default;
    }

    /// <summary>The state /readyz reports for a source.</summary>
    public static string? StateOf(JsonElement readiness, string source) =>
        readiness.GetProperty("sources").TryGetProperty(source, out var s) ? s.GetProperty("state").GetString() : null;

    public void Dispose() => _client.Dispose();
}
