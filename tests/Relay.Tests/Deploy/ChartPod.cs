using System.Text;
using System.Text.Json.Nodes;

namespace Relay.Tests.Deploy;

/// <summary>
/// What the kubelet would give Relay's container after `helm install`: the ConfigMap's file and the
/// container's environment with every Secret reference resolved (from the chart's own Secret, or
/// from <c>clusterSecrets</c>, standing in for Secrets that already exist in the namespace), plus the
/// port and paths of its probes.
/// </summary>
internal sealed record ChartPod(
    string ConfigFilePath,
    string ConfigJson,
    IReadOnlyDictionary<string, string> Environment,
    int Port,
    string StartupPath,
    string LivenessPath,
    string ReadinessPath,
    string MetricsPath)
{
    public static ChartPod From(Manifests m, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? clusterSecrets = null)
    {
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>(clusterSecrets ?? new Dictionary<string, IReadOnlyDictionary<string, string>>());
        foreach (var secret in m.OfKind("Secret"))
            secrets[(string)secret["metadata"]!["name"]!] = secret["data"]!.AsObject()
                .ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String((string)p.Value!)));

        var container = m.RelayContainer;
        var env = new Dictionary<string, string>();
        foreach (var from in container["envFrom"]?.AsArray() ?? [])
        {
            var name = (string)from!["secretRef"]!["name"]!;
            Assert.True(secrets.ContainsKey(name), $"envFrom names Secret {name}, which neither the chart nor the test provides.");
            foreach (var (k, v) in secrets[name]) env[k] = v;
        }
        foreach (var e in container["env"]?.AsArray() ?? []) // env wins over envFrom, as in Kubernetes
        {
            var name = (string)e!["name"]!;
            if (e["value"] is { } value) env[name] = (string)value!;
            else if (e["valueFrom"]?["secretKeyRef"] is { } reference)
                env[name] = secrets[(string)reference["name"]!][(string)reference["key"]!];
        }

        var mount = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["name"] == "relay-config")!;
        var volume = m.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "relay-config")!;
        var file = (string)volume["configMap"]!["items"]![0]!["path"]!;
        var port = (int)(long)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "http")!["containerPort"]!;
        string Path(string probe) => (string)container[probe]!["httpGet"]!["path"]!;
        var metricsPath = (string)m.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["prometheus.io/path"]!;
        return new ChartPod($"{(string)mount["mountPath"]!}/{file}", m.RelayConfigText, env, port,
            Path("startupProbe"), Path("livenessProbe"), Path("readinessProbe"), metricsPath);
    }

    /// <summary>Writes the ConfigMap's file into <paramref name="dir"/>, as the volume would.</summary>
    public string WriteConfig(string dir)
    {
        var path = System.IO.Path.Combine(dir, System.IO.Path.GetFileName(ConfigFilePath));
        File.WriteAllText(path, ConfigJson);
        return path;
    }

    /// <summary>Values that point the chart's Relay at the local test servers: one WAL-tailing source into Redis, the password from a Secret.</summary>
    public static string LocalValues(string postgresWithoutPassword, string slot, string redis, string prefix, int port) => new JsonObject
    {
        ["secretEnv"] = new JsonObject
        {
            ["PGPASSWORD"] = new JsonObject { ["secretName"] = "orders-db", ["key"] = "password" },
        },
        ["config"] = new JsonObject
        {
            ["Relay"] = new JsonObject
            {
                ["Http"] = new JsonObject { ["Port"] = port },
                ["ShutdownTimeout"] = "00:00:20",
                ["Sources"] = new JsonObject
                {
                    ["orders"] = new JsonObject
                    {
                        ["Kind"] = "PostgresReplication",
                        ["ConnectionString"] = postgresWithoutPassword,
                        ["Slot"] = slot,
                        ["Outbox"] = new JsonObject { ["TopicTemplate"] = prefix + ".{aggregatetype}" },
                    },
                },
                ["Sinks"] = new JsonObject
                {
                    ["main"] = new JsonObject { ["Kind"] = "Redis", ["Configuration"] = redis, ["KeyPrefix"] = prefix + ":" },
                },
            },
        },
    }.ToJsonString(); // JSON is YAML
}
