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

        // Passwords as the chart passes them, from Secrets: PGPASSWORD for a source whose connection
        // string has none (WAL tailing, as the test role), and a whole connection string (polling, as
        // a role of its own).
        var admin = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var pgPassword = admin.Password ?? "";
        admin.Password = null;
        var audit = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = rolePassword };
        var env = new Dictionary<string, string>
        {
            ["PGPASSWORD"] = pgPassword,
            ["Relay__Sources__orders__Kind"] = "PostgresReplication",
            ["Relay__Sources__orders__ConnectionString"] = admin.ConnectionString,
            ["Relay__Sources__orders__Slot"] = "relay_oci",
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
            ["Relay__Sources__audit__Kind"] = "PostgresPolling",
            ["Relay__Sources__audit__ConnectionString"] = audit.ConnectionString,
            ["Relay__Sources__audit__Outbox__Table"] = "public.audit_outbox",
            ["Relay__Sources__audit__Outbox__TopicTemplate"] = prefix + ".audit.{aggregatetype}",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = prefix + ":",
        };
        var configDir = Directory.CreateTempSubdirectory("relay-oci-config-").FullName;

        var bundle = await OciImage.UnpackAsync(await OciImage.ReferenceAsync());
        await using var container = RuncContainer.Start(bundle, env, configDir);

        await db.WaitForSlotStreamingAsync("relay_oci", () => container.HasExited ? "the container exited:\n" + container.Output : null);
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

        var exitCode = await container.StopAsync(TimeSpan.FromSeconds(60));
        var output = container.Output;
        Assert.True(exitCode == 0, $"Relay in the container exited with {exitCode} on SIGTERM:\n{output}");
        Assert.Contains("Application is shutting down", output);
        Assert.DoesNotContain("Cannot load library", output); // every library the runtime opens is in the image
        Assert.DoesNotMatch("(?i)(unhandled exception|fail:|crit:)", output);
        Assert.DoesNotContain(rolePassword, output);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_outbox")); // polled rows deleted after the commit
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
