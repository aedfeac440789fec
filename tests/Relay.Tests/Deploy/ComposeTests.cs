using System.Text.Json.Nodes;

namespace Relay.Tests.Deploy;

/// <summary>
/// deploy/compose/docker-compose.yml cannot run here (no Docker engine): docker-compose 1.29 (Debian's,
/// installed without the engine by scripts/install-image-tools.sh) validates it against the Compose
/// schema and resolves it, and the resolved file is checked against the image and Relay.
/// </summary>
public sealed class ComposeTests
{
    private static readonly Lazy<Task> Tools = new(async () =>
    {
        var result = await Repo.RunAsync("bash", [Repo.Path("scripts", "install-image-tools.sh")], TimeSpan.FromMinutes(10));
        Assert.True(result.ExitCode == 0, "scripts/install-image-tools.sh failed:\n" + result.Output);
    });

    private static string ComposeFile => Repo.Path("deploy", "compose", "docker-compose.yml");

    [Fact]
    public async Task The_compose_example_is_valid_and_runs_the_image_on_a_logical_WAL_Postgres_and_a_KRaft_Kafka()
    {
        await Tools.Value;
        var result = await Repo.RunAsync("docker-compose", ["-f", ComposeFile, "config"], TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, "docker-compose config rejects the file:\n" + result.Output);
        var compose = Manifests.ParseValues(result.Stdout);
        var services = compose["services"]!.AsObject();
        Assert.Equal(["kafka", "postgres", "relay"], services.Select(s => s.Key).Order());

        var postgres = services["postgres"]!;
        Assert.Contains("wal_level=logical", postgres["command"]!.AsArray().Select(c => (string)c!));

        var kafka = services["kafka"]!;
        Assert.Contains("controller", (string)kafka["environment"]!["KAFKA_PROCESS_ROLES"]!);
        Assert.Null(kafka["environment"]!["KAFKA_ZOOKEEPER_CONNECT"]);
        Assert.Equal("1", kafka["environment"]!["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]!.ToString()); // one broker: transactions need ISR 1

        var relay = services["relay"]!;
        Assert.Equal(Repo.Root, (string?)relay["build"]!["context"]);
        Assert.Equal("Dockerfile", (string?)relay["build"]!["dockerfile"]);
        Assert.True((bool)relay["read_only"]!);
        Assert.Equal(["ALL"], relay["cap_drop"]!.AsArray().Select(c => (string)c!));
        Assert.Contains("/tmp", relay["tmpfs"]!.AsArray().Select(c => (string)c!));
        Assert.Contains(relay["ports"]!.AsArray(), p => p!["target"]?.ToString() == "8080");
        Assert.Equal("service_healthy", (string?)relay["depends_on"]!["postgres"]!["condition"]);
        Assert.Equal("service_healthy", (string?)relay["depends_on"]!["kafka"]!["condition"]);

        // The file RELAY_CONFIG_FILE names is mounted, and it is a configuration Relay accepts.
        var configFile = (string)relay["environment"]!["RELAY_CONFIG_FILE"]!;
        // docker-compose 1.29 resolves volumes to the short form SOURCE:TARGET:MODE.
        var mount = relay["volumes"]!.AsArray().Select(v => ((string)v!).Split(':')).Single(v => v[1] == configFile);
        Assert.Equal("ro", mount[2]);
        var json = File.ReadAllText(mount[0]);
        var check = RelayConfigCheck.Check(json);
        Assert.True(check.Errors.Count == 0, string.Join("\n", check.Errors));
        Assert.Empty(check.UnknownKeys);
        var source = JsonNode.Parse(json)!["Relay"]!["Sources"]!["orders"]!;
        Assert.Equal("Host=postgres;Username=relay;Database=relay", (string?)source["ConnectionString"]); // the password comes from PGPASSWORD
        Assert.Equal("kafka:9092", (string?)JsonNode.Parse(json)!["Relay"]!["Sinks"]!["kafka"]!["BootstrapServers"]);

        // docker-compose resolves stop_grace_period to a duration string, e.g. "45s": above Relay's 30 s default shutdown timeout.
        var grace = (string)relay["stop_grace_period"]!;
        Assert.Matches("^[0-9]+s$", grace);
        Assert.True(int.Parse(grace.TrimEnd('s')) > 30, grace);
    }

    [Fact]
    public async Task The_validator_rejects_a_misspelt_option()
    {
        await Tools.Value;
        var dir = Repo.Scratch("compose");
        var broken = File.ReadAllText(ComposeFile).Replace("cap_drop:", "cap_dropp:");
        File.WriteAllText(Path.Combine(dir, "docker-compose.yml"), broken);
        File.Copy(Repo.Path("deploy", "compose", "relay.json"), Path.Combine(dir, "relay.json"));
        var result = await Repo.RunAsync("docker-compose", ["-f", Path.Combine(dir, "docker-compose.yml"), "config", "-q"], TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cap_dropp", result.Output);
    }
}
