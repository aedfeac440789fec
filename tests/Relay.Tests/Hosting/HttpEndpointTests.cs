using System.Net;
using System.Net.Sockets;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>/healthz, /readyz and /metrics as a probe and a scraper meet them, on the relay process.</summary>
public sealed class HttpEndpointTests
{
    private static async Task<(PostgresDatabase Db, string Redis, string Prefix)> SetupAsync()
    {
        var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{\"n\":1}')");
        return (db, await TestServers.RedisAsync(), "relay-http-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private static Dictionary<string, string> PollingToRedis(PostgresDatabase db, string redis, string prefix, int port)
    {
        var env = RelayHttp.Environment(port);
        env["Relay__Sources__orders__Kind"] = "PostgresPolling";
        env["Relay__Sources__orders__ConnectionString"] = db.ConnectionString;
        env["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}";
        env["Relay__Sinks__main__Kind"] = "Redis";
        env["Relay__Sinks__main__Configuration"] = redis;
        env["Relay__Sinks__main__KeyPrefix"] = prefix + ":";
        return env;
    }

    private static async Task CleanUpAsync(string redis, string prefix)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var server = mux.GetServers()[0];
        var keys = server.Keys(pattern: prefix + "*").ToArray();
        if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
    }

    [Fact]
    public async Task Healthz_readyz_and_metrics_answer_on_the_configured_port()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var port = LocalHost.FreePort();
        using var http = new RelayHttp(port);
        using var relay = RelayProcess.Start(PollingToRedis(db, redis, prefix, port));
        try
        {
            var ready = await http.WaitForReadinessAsync(relay, (status, body) => status == HttpStatusCode.OK && RelayHttp.StateOf(body, "orders") == "streaming");
            Assert.Equal("ready", ready.GetProperty("status").GetString());
            var orders = ready.GetProperty("sources").GetProperty("orders");
            Assert.Equal("streaming", orders.GetProperty("state").GetString());
            Assert.True(orders.GetProperty("active").GetBoolean());
            Assert.Equal("PostgresPolling", orders.GetProperty("kind").GetString());
            Assert.Equal("main", orders.GetProperty("sink").GetString());

            var (liveStatus, live) = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, liveStatus);
            Assert.Contains("alive", live);

            // The row inserted before the start is published; the counters and the state gauges show it.
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0) await Task.Delay(50);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            string metrics;
            do
            {
                var (metricsStatus, body) = await http.GetAsync("/metrics");
                Assert.Equal(HttpStatusCode.OK, metricsStatus);
                metrics = body;
                if (metrics.Contains("relay_messages_published_total")) break;
                await Task.Delay(200);
            } while (DateTime.UtcNow < deadline);
            Assert.Contains("relay_pipeline_state{otel_scope_name=\"Relay\",source=\"orders\",state=\"streaming\"} 1", metrics);
            Assert.Contains("relay_pipeline_state{otel_scope_name=\"Relay\",source=\"orders\",state=\"retrying\"} 0", metrics);
            Assert.Contains("relay_source_active{otel_scope_name=\"Relay\",source=\"orders\"} 1", metrics);
            Assert.Matches("relay_messages_published_total\\{[^}]*source=\"orders\"[^}]*\\} 1", metrics);
            Assert.Contains("dotnet_gc_collections_total", metrics); // runtime metrics
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await CleanUpAsync(redis, prefix);
        }
    }

    [Fact]
    public async Task Readyz_is_503_while_a_source_retries_and_names_its_error_without_the_password()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var port = LocalHost.FreePort();
        using var http = new RelayHttp(port);
        var env = PollingToRedis(db, redis, prefix, port);
        // A second source whose database refuses connections: it retries, the first one streams.
        env["Relay__Sources__broken__Kind"] = "PostgresPolling";
        env["Relay__Sources__broken__ConnectionString"] = $"Host=127.0.0.1;Port={LocalHost.FreePort()};Username=relay;Password=Rd9zPw-Unseen;Database=relay;Timeout=2";
        using var relay = RelayProcess.Start(env);
        try
        {
            var body = await http.WaitForReadinessAsync(relay, (status, json) =>
                status == HttpStatusCode.ServiceUnavailable && RelayHttp.StateOf(json, "orders") == "streaming" && RelayHttp.StateOf(json, "broken") == "retrying");
            Assert.Equal("not ready", body.GetProperty("status").GetString());
            var broken = body.GetProperty("sources").GetProperty("broken");
            Assert.False(broken.GetProperty("active").GetBoolean());
            Assert.False(string.IsNullOrEmpty(broken.GetProperty("lastError").GetString()));
            Assert.DoesNotContain("Rd9zPw-Unseen", body.ToString());
            var (_, metrics) = await http.GetAsync("/metrics");
            Assert.Contains("relay_pipeline_state{otel_scope_name=\"Relay\",source=\"broken\",state=\"retrying\"} 1", metrics);
            Assert.DoesNotContain("Rd9zPw-Unseen", metrics);
            Assert.DoesNotContain("Rd9zPw-Unseen", relay.Output);
        }
        finally
        {
            await CleanUpAsync(redis, prefix);
        }
    }

    [Fact]
    public async Task With_Http_Enabled_false_nothing_listens_and_the_relay_still_publishes()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var port = LocalHost.FreePort();
        var env = PollingToRedis(db, redis, prefix, port);
        env["Relay__Http__Enabled"] = "false";
        using var relay = RelayProcess.Start(env);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline && !relay.HasExited) await Task.Delay(50);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
            using var client = new TcpClient();
            var e = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        }
        finally
        {
            await CleanUpAsync(redis, prefix);
        }
    }

    [Fact]
    public async Task Bad_http_and_telemetry_settings_exit_2_naming_each_key()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var env = PollingToRedis(db, redis, prefix, 8080);
        env["Relay__Http__Port"] = "http";
        env["Relay__Http__Address"] = "everywhere";
        env["Relay__ShutdownTimeout"] = "soon";
        env["Relay__Telemetry__Otlp__Endpoint"] = "collector:4317";
        using var relay = RelayProcess.Start(env);
        Assert.Equal(2, await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Relay:Http:Port (environment variable Relay__Http__Port)", relay.Output);
        Assert.Contains("Relay:Http:Address", relay.Output);
        Assert.Contains("Relay:ShutdownTimeout", relay.Output);
        Assert.Contains("Relay:Telemetry:Otlp:Endpoint", relay.Output);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
    }

    [Fact]
    public async Task A_config_file_from_the_command_line_or_RELAY_CONFIG_FILE_is_read_and_a_missing_one_exits_2()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var port = LocalHost.FreePort();
        var dir = Directory.CreateTempSubdirectory("relay-config-").FullName;
        try
        {
            // The file holds the source; the environment holds the sink and the port, and wins over the file's port.
            var file = Path.Combine(dir, "relay.json");
            await File.WriteAllTextAsync(file, $$"""
                { "Relay": {
                    "Http": { "Port": 1 },
                    "Sources": { "orders": { "Kind": "PostgresPolling", "ConnectionString": "{{db.ConnectionString}}",
                                             "Outbox": { "TopicTemplate": "{{prefix}}.{aggregatetype}" } } } } }
                """);
            var env = RelayHttp.Environment(port);
            env["Relay__Sinks__main__Kind"] = "Redis";
            env["Relay__Sinks__main__Configuration"] = redis;
            env["Relay__Sinks__main__KeyPrefix"] = prefix + ":";
            using var http = new RelayHttp(port);

            using (var relay = RelayProcess.Start(env, "--config", file))
            {
                await http.WaitForReadinessAsync(relay, (status, _) => status == HttpStatusCode.OK);
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
            }

            env["RELAY_CONFIG_FILE"] = file;
            using (var relay = RelayProcess.Start(env))
            {
                await http.WaitForReadinessAsync(relay, (status, _) => status == HttpStatusCode.OK);
                Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
            }

            env["RELAY_CONFIG_FILE"] = Path.Combine(dir, "missing.json");
            using (var relay = RelayProcess.Start(env))
            {
                Assert.Equal(2, await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("missing.json' does not exist", relay.Output);
                Assert.Contains("RELAY_CONFIG_FILE", relay.Output);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await CleanUpAsync(redis, prefix);
        }
    }
}
