using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Npgsql;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Deploy;

/// <summary>
/// The container image, built here without Docker (scripts/build-oci-image.sh: umoci) and run under
/// runc as the chart runs the pod, against the local PostgreSQL and Redis.
/// </summary>
public sealed class OciImageTests
{
    [Fact]
    public async Task The_image_has_the_Dockerfiles_layout()
    {
        var dockerfile = File.ReadAllText(Repo.Path("Dockerfile"));
        var final = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..]; // the runtime stage
        Assert.Contains("ENTRYPOINT [\"/app/Relay\"]", final);
        Assert.Contains("USER 1654:1654", final);
        Assert.Contains("WORKDIR /app", final);
        Assert.Contains("EXPOSE 8080", final);
        Assert.Contains("--self-contained", dockerfile);

        var bundle = await OciImage.UnpackAsync(await OciImage.ReferenceAsync());
        try
        {
            // umoci writes the runtime config from the image's config: entrypoint, user, working directory.
            var process = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!["process"]!;
            Assert.Equal(["/app/Relay"], process["args"]!.AsArray().Select(a => (string)a!));
            Assert.Equal(1654, (int)process["user"]!["uid"]!);
            Assert.Equal(1654, (int)process["user"]!["gid"]!);
            Assert.Equal("/app", (string?)process["cwd"]);
            // The chart runs the container as the image's user.
            var chartValues = Manifests.ParseValues(File.ReadAllText(Path.Combine(Helm.ChartDir, "values.yaml")));
            Assert.Equal(1654L, (long)chartValues["securityContext"]!["runAsUser"]!);
            Assert.Equal(1654L, (long)chartValues["podSecurityContext"]!["runAsUser"]!);

            var rootfs = Path.Combine(bundle, "rootfs");
            Assert.True(File.Exists(Path.Combine(rootfs, "app", "Relay")));
            Assert.True(File.Exists(Path.Combine(rootfs, "app", "Relay.dll")));
            Assert.True(File.Exists(Path.Combine(rootfs, "app", "libcoreclr.so")), "the publish is self-contained: the runtime is in /app");
            Assert.Contains("app:x:1654:1654:", File.ReadAllText(Path.Combine(rootfs, "etc", "passwd")));
            Assert.True(File.Exists(Path.Combine(rootfs, "etc", "ssl", "certs", "ca-certificates.crt")));
            Assert.False(File.Exists(Path.Combine(rootfs, "bin", "sh")), "no shell in the image");

            // The image's appsettings.json holds logging settings only: no demo source, no password.
            var appsettings = JsonNode.Parse(File.ReadAllText(Path.Combine(rootfs, "app", "appsettings.json")))!.AsObject();
            Assert.Equal(["Logging"], appsettings.Select(p => p.Key));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(bundle)!, recursive: true);
        }
    }

    [Fact]
    public async Task The_image_runs_under_runc_read_only_and_non_root_publishes_and_stops_cleanly_on_SIGTERM()
    {
        var db = await PostgresDatabase.CreateAsync();
        var role = "relay_oci_" + Guid.NewGuid().ToString("N")[..8];
        var rolePassword = "Pw-Oci-" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            await db.CreateOutboxAsync();
            await db.CreateOutboxAsync("audit_outbox");
            await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{rolePassword}'; GRANT SELECT, UPDATE, DELETE ON audit_outbox TO {role};");
            await RunImageAsync(db, role, rolePassword);
        }
        finally
        {
            await db.DisposeAsync();
            await using var admin = new NpgsqlConnection(await TestServers.PostgresAsync());
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS {role}", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task RunImageAsync(PostgresDatabase db, string role, string rolePassword)
    {
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-oci-" + Guid.NewGuid().ToString("N")[..8];
        var port = LocalHost.FreePort();

        // The pod as the chart renders it. Passwords from Secrets: PGPASSWORD (secretEnv) for the WAL
        // source, whose connection string has none, and a whole connection string (existingSecret) for
        // the polling source, which logs in as a role of its own.
        var admin = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var pgPassword = admin.Password ?? "";
        admin.Password = null;
        var audit = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = rolePassword };
        var values = new JsonObject
        {
            ["existingSecret"] = "audit-db",
            ["secretEnv"] = new JsonObject { ["PGPASSWORD"] = new JsonObject { ["secretName"] = "orders-db", ["key"] = "password" } },
            ["config"] = new JsonObject
            {
                ["Relay"] = new JsonObject
                {
                    ["Http"] = new JsonObject { ["Port"] = port },
                    ["Sources"] = new JsonObject
                    {
                        ["orders"] = new JsonObject
                        {
                            ["Kind"] = "PostgresReplication",
                            ["ConnectionString"] = admin.ConnectionString,
                            ["Slot"] = "relay_oci",
                            ["Outbox"] = new JsonObject { ["TopicTemplate"] = prefix + ".{aggregatetype}" },
                        },
                        ["audit"] = new JsonObject
                        {
                            ["Kind"] = "PostgresPolling",
                            ["Outbox"] = new JsonObject { ["Table"] = "public.audit_outbox", ["TopicTemplate"] = prefix + ".audit.{aggregatetype}" },
                        },
                    },
                    ["Sinks"] = new JsonObject
                    {
                        ["main"] = new JsonObject { ["Kind"] = "Redis", ["Configuration"] = redis, ["KeyPrefix"] = prefix + ":" },
                    },
                },
            },
        };
        var valuesDir = Repo.Scratch("oci-values");
        try
        {
            File.WriteAllText(Path.Combine(valuesDir, "values.yaml"), values.ToJsonString());
            var m = await Helm.TemplateAsync(Helm.ChartDir, [Path.Combine(valuesDir, "values.yaml")]);
            var pod = ChartPod.From(m, new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["orders-db"] = new Dictionary<string, string> { ["password"] = pgPassword },
                ["audit-db"] = new Dictionary<string, string> { ["Relay__Sources__audit__ConnectionString"] = audit.ConnectionString },
            });
            Assert.Equal("/etc/relay/relay.json", pod.ConfigFilePath);
            Assert.DoesNotContain(rolePassword, m.Text);

            // The ConfigMap's volume: the rendered file in a directory bind-mounted read-only at /etc/relay.
            var configDir = Path.Combine(valuesDir, "etc-relay");
            Directory.CreateDirectory(configDir);
            pod.WriteConfig(configDir);

            var bundle = await OciImage.UnpackAsync(await OciImage.ReferenceAsync());
            await using var container = RuncContainer.Start(bundle, pod.Environment, configDir);
            using var http = new RelayHttp(pod.Port);
            string Exited() => container.HasExited ? "the container exited:\n" + container.Output : "";

            await WaitForOkAsync(http, pod.StartupPath, Exited);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(pod.LivenessPath)).Status);
            await WaitForOkAsync(http, pod.ReadinessPath, Exited);
            var readiness = (await http.ReadinessAsync()).Body;
            Assert.Equal("streaming", RelayHttp.StateOf(readiness, "orders"));
            Assert.Equal("streaming", RelayHttp.StateOf(readiness, "audit"));

            await db.WaitForSlotStreamingAsync("relay_oci", () => container.HasExited ? Exited() : null);
            var state = await ContainerStateAsync(container);
            Assert.Equal("running", (string?)state["status"]);
            var status = File.ReadAllText($"/proc/{(int)state["pid"]!}/status");
            Assert.Matches(@"(?m)^Uid:\s+1654\s+1654\s+1654\s+1654$", status);
            Assert.Matches(@"(?m)^CapEff:\s+0+$", status);
            Assert.Matches(@"(?m)^NoNewPrivs:\s+1$", status);

            await db.ExecuteAsync("""
                INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '42', 'OrderPaid', '{"orderId": 42}');
                INSERT INTO audit_outbox (aggregatetype, aggregateid, type, payload) VALUES ('login', 'u7', 'LoggedIn', '{"user": "u7"}');
                """);
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            var order = await ReadStreamAsync(mux, prefix + ".order");
            Assert.Equal("42", (string?)order["key"]);
            Assert.Equal("OrderPaid", (string?)order["h.type"]);
            var login = await ReadStreamAsync(mux, prefix + ".audit.login");
            Assert.Equal("u7", (string?)login["key"]);

            // The counters follow the commit (and the exporter may serve a scrape cached for a moment): poll.
            var metricsStatus = HttpStatusCode.OK;
            var metrics = "";
            for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
            {
                (metricsStatus, metrics) = await http.GetAsync(pod.MetricsPath);
                if (metricsStatus == HttpStatusCode.OK && metrics.Contains("source=\"orders\"") && metrics.Contains("source=\"audit\"")
                    && metrics.Split('\n').Count(l => l.StartsWith("relay_messages_published_total{", StringComparison.Ordinal) && l.EndsWith(" 1")) >= 2)
                    break;
            }
            Assert.Equal(HttpStatusCode.OK, metricsStatus);
            Assert.Matches("relay_messages_published_total\\{[^}]*source=\"orders\"[^}]*\\} 1", metrics);
            Assert.Matches("relay_messages_published_total\\{[^}]*source=\"audit\"[^}]*\\} 1", metrics);
            Assert.DoesNotContain(rolePassword, metrics);

            var grace = (long)m.PodSpec["terminationGracePeriodSeconds"]!;
            var exitCode = await container.StopAsync(TimeSpan.FromSeconds(grace));
            var output = container.Output;
            Assert.True(exitCode == 0, $"Relay in the container exited with {exitCode} on SIGTERM:\n{output}");
            Assert.Contains("Application is shutting down", output);
            Assert.DoesNotContain("Cannot load library", output); // every library the runtime opens is in the image
            // ASP.NET's health check service logs every unhealthy /readyz answer at error level; those
            // (while the sources start) are expected here, any other failure is not.
            var failures = output.Split('\n').Where(l => Regex.IsMatch(l, "(?i)(unhandled exception|fail:|crit:)")
                && !l.Contains("HealthChecks.DefaultHealthCheckService[103] Health check sources with status Unhealthy")).ToList();
            Assert.True(failures.Count == 0, "Relay logged a failure in the container:\n" + output);
            Assert.DoesNotContain(rolePassword, output);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_outbox")); // polled rows deleted after the commit
        }
        finally
        {
            Directory.Delete(valuesDir, recursive: true);
        }
    }

    private static async Task WaitForOkAsync(RelayHttp http, string path, Func<string> exited)
    {
        var last = "(no answer)";
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            Assert.True(exited() == "", exited());
            try
            {
                var (status, body) = await http.GetAsync(path);
                if (status == HttpStatusCode.OK) return;
                last = $"{(int)status} {body}";
            }
            catch (HttpRequestException e) { last = e.Message; }
        }
        Assert.Fail($"GET {path} never answered 200 from the container; last: {last}");
    }

    private static async Task<StreamEntry> ReadStreamAsync(ConnectionMultiplexer mux, string key)
    {
        StreamEntry[] entries = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); entries.Length == 0 && DateTime.UtcNow < deadline; await Task.Delay(100))
            entries = await mux.GetDatabase().StreamRangeAsync(key);
        return Assert.Single(entries);
    }

    private static async Task<JsonObject> ContainerStateAsync(RuncContainer container)
    {
        var state = await container.StateAsync();
        Assert.True(state is not null, "runc has no state for the container:\n" + container.Output);
        return state;
    }
}
