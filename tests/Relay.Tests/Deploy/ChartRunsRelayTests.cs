using System.Net;
using Npgsql;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Deploy;

/// <summary>
/// The chart's output fed to the real relay process: the ConfigMap's file where RELAY_CONFIG_FILE
/// points, the container's environment with its Secret references resolved, then the probes the
/// chart declares, on the port it declares, asked of Relay.
/// </summary>
public sealed class ChartRunsRelayTests
{
    [Fact]
    public async Task Relay_answers_the_charts_probes_and_scrape_path_and_stops_within_its_grace_period()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-chart-" + Guid.NewGuid().ToString("N")[..8];
        var slot = "relay_chart_" + Guid.NewGuid().ToString("N")[..8];
        var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var password = cs.Password!;
        cs.Password = null;
        var port = LocalHost.FreePort();

        var values = TempFile(ChartPod.LocalValues(cs.ConnectionString, slot, redis, prefix, port));
        var m = await Helm.TemplateAsync(Helm.ChartDir, [values]);
        Assert.DoesNotContain("Password", m.RelayConfigText, StringComparison.OrdinalIgnoreCase);
        var pod = ChartPod.From(m, new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["orders-db"] = new Dictionary<string, string> { ["password"] = password }, // the Secret secretEnv names
        });
        Assert.Equal(port, pod.Port);
        Assert.Equal("/etc/relay/relay.json", pod.Environment["RELAY_CONFIG_FILE"]);
        Assert.Equal(password, pod.Environment["PGPASSWORD"]);

        var env = new Dictionary<string, string>(pod.Environment)
        {
            // The file the volume would hold, where this process can read it.
            ["RELAY_CONFIG_FILE"] = pod.WriteConfig(Path.GetDirectoryName(values)!),
            // RelayProcess turns the endpoint off for tests that do not use it; the pod has no such variable.
            ["Relay__Http__Enabled"] = "true",
        };
        using var relay = RelayProcess.Start(env);
        using var http = new RelayHttp(pod.Port);

        // The startup and liveness probes' path answers as soon as the process serves.
        await WaitForAsync(relay, http, pod.StartupPath, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(pod.LivenessPath)).Status);
        // The readiness probe's path answers 200 once the source streams (and, a moment before it takes the lease, as a standby).
        var readiness = await http.WaitForReadinessAsync(relay, (status, body) => status == HttpStatusCode.OK && RelayHttp.StateOf(body, "orders") == "streaming");
        Assert.Equal("streaming", RelayHttp.StateOf(readiness, "orders"));

        await db.WaitForSlotStreamingAsync(slot, () => relay.HasExited ? relay.Output : null);
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '7', 'OrderPaid', '{\"orderId\": 7}')");
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        StreamEntry[] entries = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); entries.Length == 0 && DateTime.UtcNow < deadline; await Task.Delay(100))
            entries = await mux.GetDatabase().StreamRangeAsync(prefix + ".order");
        Assert.Equal("7", (string?)Assert.Single(entries)["key"]);

        // The path the scrape annotations and the ServiceMonitor name serves Relay's metrics.
        var (metricsStatus, metrics) = await http.GetAsync(pod.MetricsPath);
        Assert.Equal(HttpStatusCode.OK, metricsStatus);
        Assert.Contains("relay_source_active{otel_scope_name=\"Relay\",source=\"orders\"} 1", metrics);

        // SIGTERM, as the kubelet sends it: a clean exit well within the grace period the chart sets.
        var grace = (long)m.PodSpec["terminationGracePeriodSeconds"]!;
        Assert.Equal(20 + 15, grace);
        Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(grace)));
    }

    private static async Task WaitForAsync(RelayProcess relay, RelayHttp http, string path, HttpStatusCode expected)
    {
        var last = "(no answer)";
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            Assert.False(relay.HasExited, "Relay exited:\n" + relay.Output);
            try
            {
                var (status, body) = await http.GetAsync(path);
                if (status == expected) return;
                last = $"{(int)status} {body}";
            }
            catch (HttpRequestException e) { last = e.Message; }
        }
        Assert.Fail($"GET {path} never answered {expected}; last: {last}\n{relay.Output}");
    }

    private static string TempFile(string content)
    {
        var dir = Repo.Scratch("chart-values");
        var file = Path.Combine(dir, "values.yaml");
        File.WriteAllText(file, content);
        return file;
    }
}
