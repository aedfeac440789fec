using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Relay.Tests.Deploy;

/// <summary>
/// deploy/helm/relay through the real helm binary: `helm lint --strict` and `helm template` over
/// several value sets, then the rendered objects checked against what Relay expects.
/// </summary>
public sealed class HelmChartTests
{
    /// <summary>"" is the chart's defaults; the others are files in Deploy/values.</summary>
    public static TheoryData<string> ValueSets => new() { "", "ha.yaml", "existing-secret.yaml", "secrets.yaml" };

    public static TheoryData<string> ConfiguredValueSets => new() { "ha.yaml", "existing-secret.yaml", "secrets.yaml" };

    private static string[] Files(string set) => set == "" ? [] : [set];

    // The passwords secrets.yaml gives the chart.
    private static readonly string[] TestPasswords = ["Pw-Orders-7f3a9c", "Pw-Kafka-51be02"];

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Lint_strict_passes(string set)
    {
        var result = await Helm.LintAsync(Helm.ChartDir, Files(set));
        Assert.True(result.ExitCode == 0, $"helm lint --strict {set}:\n{result.Output}");
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", result.Output);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Probes_service_and_scrape_annotations_use_Relays_paths_on_the_configured_port(string set)
    {
        var m = await Helm.TemplateAsync(Files(set));
        var port = ConfiguredPort(m.RelayConfig);
        var container = m.RelayContainer;

        var ports = container["ports"]!.AsArray();
        Assert.Single(ports);
        Assert.Equal("http", (string?)ports[0]!["name"]);
        Assert.Equal(port, (long)ports[0]!["containerPort"]!);

        AssertProbe(container, "startupProbe", "/healthz");
        AssertProbe(container, "livenessProbe", "/healthz");
        AssertProbe(container, "readinessProbe", "/readyz");

        var service = m.Single("Service")["spec"]!;
        Assert.Equal(port, (long)service["ports"]![0]!["port"]!);
        Assert.Equal("http", (string?)service["ports"]![0]!["targetPort"]);
        AssertSubset(service["selector"]!.AsObject(), m.Deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject());

        foreach (var annotations in new[] { m.Single("Service")["metadata"]!["annotations"]!, m.Deployment["spec"]!["template"]!["metadata"]!["annotations"]! })
        {
            Assert.Equal("true", (string?)annotations["prometheus.io/scrape"]);
            Assert.Equal(port.ToString(), (string?)annotations["prometheus.io/port"]);
            Assert.Equal("/metrics", (string?)annotations["prometheus.io/path"]);
        }
    }

    [Theory]
    [MemberData(nameof(ConfiguredValueSets))]
    public async Task The_configuration_file_is_the_values_config_verbatim_and_one_Relay_accepts(string set)
    {
        var m = await Helm.TemplateAsync(Files(set));
        var expected = ReadYaml(Path.Combine(Helm.ValuesDir, set))["config"]!;
        Assert.True(JsonNode.DeepEquals(expected, m.RelayConfig),
            $"The ConfigMap's relay.json differs from the values' config:\n{m.RelayConfigText}\nexpected\n{expected.ToJsonString()}");

        var check = RelayConfigCheck.Check(m.RelayConfigText);
        Assert.True(check.Errors.Count == 0, "Relay's validation rejects the rendered configuration:\n" + string.Join("\n", check.Errors));
        Assert.True(check.UnknownKeys.Count == 0, "The chart wrote keys Relay does not read:\n" + string.Join("\n", check.UnknownKeys));
    }

    [Fact]
    public async Task The_configuration_check_finds_misspelt_keys_and_a_value_Relay_rejects()
    {
        var m = await Helm.TemplateAsync(Helm.ChartDir, ["ha.yaml"],
            ["config.Relay.Sources.orders.Slott=relay_x", "config.Relay.Sinks.kafka.BootstrapServer=k:9092", "config.Relay.Sources.billing.MaxBatchRows=0"]);
        var check = RelayConfigCheck.Check(m.RelayConfigText);
        Assert.Contains(check.Errors, e => e.Contains("Relay:Sources:orders:Slott"));
        Assert.Contains(check.Errors, e => e.Contains("Relay:Sinks:kafka:BootstrapServer"));
        Assert.Contains(check.Errors, e => e.Contains("Relay:Sources:billing:MaxBatchRows"));

        // Keys beside the sources and sinks: the host ignores one it does not know; the check does not.
        var host = RelayConfigCheck.Check("""{ "Relay": { "Htp": { "Port": 1 }, "ShutdownTimout": "00:00:10", "Http": { "Port": 9000 } } }""");
        Assert.Equal(["Relay:Htp:Port", "Relay:ShutdownTimout"], host.UnknownKeys.Order());
    }

    [Fact]
    public void The_schema_knows_exactly_the_keys_Relays_host_reads()
    {
        // config.Relay's keys beside Sources and Sinks are spelt out in values.schema.json (unknown ones
        // rejected); they must be the ones RelayHostSettings reads, no more and no fewer.
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(Helm.ChartDir, "values.schema.json")))!;
        var relay = schema["properties"]!["config"]!["properties"]!["Relay"]!;
        Assert.False((bool)relay["additionalProperties"]!);
        var inSchema = new List<string>();
        Collect(relay, "Relay");
        var readByRelay = RelayConfigCheck.HostKeys().Where(k => k.StartsWith("Relay:", StringComparison.Ordinal)).Order().ToList();
        Assert.NotEmpty(readByRelay);
        Assert.Equal(readByRelay, inSchema.Order().ToList());

        void Collect(JsonNode node, string path)
        {
            foreach (var (key, child) in node["properties"]!.AsObject())
            {
                if (path == "Relay" && key is "Sources" or "Sinks") continue;
                if (child!["type"] is JsonValue type && (string?)type == "object") Collect(child, path + ":" + key);
                else inSchema.Add(path + ":" + key);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task The_configuration_file_is_mounted_read_only_where_RELAY_CONFIG_FILE_points(string set)
    {
        var m = await Helm.TemplateAsync(Files(set));
        var container = m.RelayContainer;
        var file = (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == "RELAY_CONFIG_FILE")!["value"];
        Assert.Equal("/etc/relay/relay.json", file);

        var mount = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["mountPath"] == "/etc/relay")!;
        Assert.True((bool?)mount["readOnly"]);
        var volume = m.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
        Assert.Equal((string?)m.Single("ConfigMap")["metadata"]!["name"], (string?)volume["configMap"]!["name"]);
        Assert.Equal("relay.json", (string?)volume["configMap"]!["items"]![0]!["key"]);
        Assert.Equal("relay.json", (string?)volume["configMap"]!["items"]![0]!["path"]);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Pod_and_container_run_as_non_root_with_a_read_only_root_and_no_capabilities(string set)
    {
        var m = await Helm.TemplateAsync(Files(set));
        AssertSecure(m.PodSpec, m.RelayContainer);
        Assert.False((bool)m.PodSpec["automountServiceAccountToken"]!);
        Assert.Equal((string?)m.Single("ServiceAccount")["metadata"]!["name"], (string?)m.PodSpec["serviceAccountName"]);
    }

    [Fact]
    public async Task Defaults_render_one_replica_without_budget_or_monitor_and_a_grace_period_above_the_shutdown_timeout()
    {
        var m = await Helm.TemplateAsync();
        Assert.Equal(["ConfigMap", "Deployment", "Service", "ServiceAccount"], m.Kinds.Order());
        Assert.Equal(1L, (long)m.Deployment["spec"]!["replicas"]!);
        Assert.Equal(30 + 15, (long)m.PodSpec["terminationGracePeriodSeconds"]!); // Relay:ShutdownTimeout's default is 00:00:30
        var appVersion = ReadYaml(Path.Combine(Helm.ChartDir, "Chart.yaml"))["appVersion"]!.ToString();
        Assert.Equal($"relay:{appVersion}", (string?)m.RelayContainer["image"]);
        Assert.Equal("IfNotPresent", (string?)m.RelayContainer["imagePullPolicy"]);
        Assert.NotNull(m.RelayContainer["resources"]!["requests"]!["memory"]);
        Assert.NotNull(m.RelayContainer["resources"]!["limits"]!["memory"]);
        Assert.Null(m.RelayContainer["envFrom"]);
    }

    [Fact]
    public async Task HA_values_render_two_replicas_a_disruption_budget_and_a_ServiceMonitor_on_the_metrics_port()
    {
        var m = await Helm.TemplateAsync("ha.yaml");
        Assert.Equal(2L, (long)m.Deployment["spec"]!["replicas"]!);
        var podLabels = m.Deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

        var pdb = m.Single("PodDisruptionBudget");
        Assert.Equal("policy/v1", (string?)pdb["apiVersion"]);
        Assert.Equal(1L, (long)pdb["spec"]!["maxUnavailable"]!);
        AssertSubset(pdb["spec"]!["selector"]!["matchLabels"]!.AsObject(), podLabels);

        var monitor = m.Single("ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", (string?)monitor["apiVersion"]);
        Assert.Equal("kube-prometheus-stack", (string?)monitor["metadata"]!["labels"]!["release"]);
        var endpoint = monitor["spec"]!["endpoints"]!.AsArray().Single()!;
        var service = m.Single("Service");
        Assert.Equal((string?)service["spec"]!["ports"]![0]!["name"], (string?)endpoint["port"]);
        Assert.Equal(9091L, (long)service["spec"]!["ports"]![0]!["port"]!);
        Assert.Equal("/metrics", (string?)endpoint["path"]);
        Assert.Equal("15s", (string?)endpoint["interval"]);
        Assert.Equal("10s", (string?)endpoint["scrapeTimeout"]);
        AssertSubset(monitor["spec"]!["selector"]!["matchLabels"]!.AsObject(), service["metadata"]!["labels"]!.AsObject());
        Assert.Equal(["shop"], monitor["spec"]!["namespaceSelector"]!["matchNames"]!.AsArray().Select(n => (string)n!));

        Assert.Equal(45 + 15, (long)m.PodSpec["terminationGracePeriodSeconds"]!);
        Assert.Equal("relay-credentials", (string?)m.RelayContainer["envFrom"]!.AsArray().Single()!["secretRef"]!["name"]);
        Assert.Equal("1Gi", (string?)m.RelayContainer["resources"]!["limits"]!["memory"]);
    }

    [Fact]
    public async Task A_grace_period_not_above_the_shutdown_timeout_is_refused()
    {
        var ok = await Helm.TemplateAsync(Helm.ChartDir, ["ha.yaml"], ["terminationGracePeriodSeconds=46"]);
        Assert.Equal(46L, (long)ok.PodSpec["terminationGracePeriodSeconds"]!);

        var tooShort = await Helm.TemplateRawAsync(Helm.ChartDir, [Path.Combine(Helm.ValuesDir, "ha.yaml")], ["terminationGracePeriodSeconds=45"]);
        Assert.NotEqual(0, tooShort.ExitCode);
        Assert.Contains("terminationGracePeriodSeconds is 45, but Relay:ShutdownTimeout is 45 s", tooShort.Stderr);

        var longer = await Helm.TemplateAsync(Helm.ChartDir, [], ["config.Relay.ShutdownTimeout=00:02:00.5"]);
        Assert.Equal(121 + 15, (long)longer.PodSpec["terminationGracePeriodSeconds"]!);

        var garbled = await Helm.TemplateRawAsync(Helm.ChartDir, [], ["config.Relay.ShutdownTimeout=30s"]);
        Assert.NotEqual(0, garbled.ExitCode);
        Assert.Contains("config.Relay.ShutdownTimeout is '30s'", garbled.Stderr);
    }

    [Fact]
    public async Task A_configuration_change_rolls_the_pods_and_nothing_else_does()
    {
        static string Checksum(Manifests m) => (string)m.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!;
        var before = await Helm.TemplateAsync("ha.yaml");
        var changed = await Helm.TemplateAsync(Helm.ChartDir, ["ha.yaml"], ["config.Relay.Sources.orders.MaxBatchRows=501"]);
        var scaled = await Helm.TemplateAsync(Helm.ChartDir, ["ha.yaml"], ["replicaCount=3"]);
        Assert.Matches("^[0-9a-f]{64}$", Checksum(before));
        Assert.NotEqual(Checksum(before), Checksum(changed));
        Assert.Equal(Checksum(before), Checksum(scaled));
    }

    [Fact]
    public async Task Passwords_given_as_secrets_land_in_the_Secret_and_in_no_other_object()
    {
        var m = await Helm.TemplateAsync("secrets.yaml");
        var secret = m.Single("Secret");
        var secretName = (string)secret["metadata"]!["name"]!;
        var data = secret["data"]!.AsObject().ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String((string)p.Value!)));
        Assert.Contains("Password=Pw-Orders-7f3a9c", data["Relay__Sources__orders__ConnectionString"]);
        Assert.Equal("Pw-Kafka-51be02", data["Relay__Sinks__kafka__Config__sasl__password"]);

        foreach (var obj in m.Objects.Where(o => (string?)o["kind"] != "Secret"))
        {
            var text = obj.ToJsonString();
            foreach (var password in TestPasswords)
            {
                Assert.DoesNotContain(password, text);
                Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), text);
            }
            Assert.DoesNotMatch("(?i)password\\s*=", text);
        }
        Assert.DoesNotContain("Pw-", m.RelayConfigText);

        var container = m.RelayContainer;
        Assert.Contains(container["envFrom"]!.AsArray(), e => (string?)e!["secretRef"]?["name"] == secretName);
        var redis = container["env"]!.AsArray().Single(e => (string?)e!["name"] == "Relay__Sinks__redis__Configuration")!;
        Assert.Equal("redis-credentials", (string?)redis["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.Equal("configuration", (string?)redis["valueFrom"]!["secretKeyRef"]!["key"]);

        // A new password rolls the pods (the annotation is a hash, never the value).
        var rotated = await Helm.TemplateAsync(Helm.ChartDir, ["secrets.yaml"], ["secrets.Relay__Sinks__kafka__Config__sasl__password=Pw-Kafka-rotated"]);
        static string Checksum(Manifests x) => (string)x.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/secrets"]!;
        Assert.NotEqual(Checksum(m), Checksum(rotated));
    }

    [Fact]
    public async Task Existing_secrets_are_referenced_and_the_chart_makes_none()
    {
        var m = await Helm.TemplateAsync("existing-secret.yaml");
        Assert.False(m.Has("Secret"));
        var container = m.RelayContainer;
        Assert.Equal("relay-credentials", (string?)container["envFrom"]!.AsArray().Single()!["secretRef"]!["name"]);
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal("orders-db", (string?)env["PGPASSWORD"]["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.Equal("password", (string?)env["PGPASSWORD"]["valueFrom"]!["secretKeyRef"]!["key"]);
        Assert.Equal("redis-credentials", (string?)env["Relay__Sinks__main__Configuration"]["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.DoesNotMatch("(?i)password\\s*=", m.RelayConfigText);
    }

    [Theory]
    [InlineData("config.Relay.Sources.orders.ConnectionString=Host=db;Username=relay;Password=Pw-Inline-1;Database=shop",
        "config.Relay.Sources.orders.ConnectionString", "Relay__Sources__orders__ConnectionString")]
    [InlineData("config.Relay.Sinks.kafka.Config.sasl\\.password=Pw-Inline-1",
        "config.Relay.Sinks.kafka.Config.sasl.password", "Relay__Sinks__kafka__Config__sasl__password")]
    [InlineData("config.Relay.Sinks.redis.Configuration=redis:6379\\,password=Pw-Inline-1",
        "config.Relay.Sinks.redis.Configuration", "Relay__Sinks__redis__Configuration")]
    [InlineData("config.Relay.Sources.billing.ConnectionString=postgresql://relay:Pw-Inline-1@db/billing",
        "config.Relay.Sources.billing.ConnectionString", "Relay__Sources__billing__ConnectionString")]
    public async Task A_password_in_the_configuration_is_refused_naming_the_key_and_not_the_password(string set, string key, string envName)
    {
        var result = await Helm.TemplateRawAsync(Helm.ChartDir, [Path.Combine(Helm.ValuesDir, "ha.yaml")], [set]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(key, result.Stderr);
        Assert.Contains(envName, result.Stderr);
        Assert.DoesNotContain("Pw-Inline-1", result.Output);

        // helm lint runs templates in its lenient mode, where `fail` is reported (level INFO) rather than fatal.
        var lint = await Helm.RunAsync(["lint", "--strict", Helm.ChartDir, .. Helm.ValueArgs(["ha.yaml"], [set])]);
        Assert.Contains(key, lint.Output);
        Assert.DoesNotContain("Pw-Inline-1", lint.Output);
    }

    [Theory]
    [InlineData("bad-typo.yaml", "'enable' not allowed")]
    [InlineData("replicas: 2", "'replicas' not allowed")]
    [InlineData("replicaCount: two", "/replicaCount")]
    [InlineData("image:\n  pullPolicy: Sometimes", "/image/pullPolicy")]
    [InlineData("probes:\n  readiness:\n    periodSeconds: \"5\"", "/probes/readiness/periodSeconds")]
    [InlineData("config:\n  Sources: {}", "'Sources' not allowed")]
    [InlineData("config:\n  Relay:\n    Http:\n      Prot: 9090", "'Prot' not allowed")]
    [InlineData("config:\n  Relay:\n    ShutdownTimout: \"00:00:10\"", "'ShutdownTimout' not allowed")]
    [InlineData("secretEnv:\n  PGPASSWORD:\n    name: db\n    key: password", "/secretEnv/PGPASSWORD")]
    [InlineData("secrets:\n  \"bad name\": x", "bad name")]
    [InlineData("metrics:\n  serviceMonitor:\n    interval: often", "/metrics/serviceMonitor/interval")]
    [InlineData("mode: daemonset", "/mode")]
    public async Task The_schema_rejects_unknown_and_mistyped_values_naming_the_key(string values, string expected)
    {
        var file = values.EndsWith(".yaml") ? Path.Combine(Helm.ValuesDir, values) : WriteTemp(values);
        var template = await Helm.TemplateRawAsync(Helm.ChartDir, [file]);
        Assert.NotEqual(0, template.ExitCode);
        Assert.Contains("don't meet the specifications of the schema", template.Stderr);
        Assert.Contains(expected, template.Stderr);

        var lint = await Helm.LintAsync(Helm.ChartDir, file);
        Assert.NotEqual(0, lint.ExitCode);
        Assert.Contains(expected, lint.Output);
    }

    [Theory]
    [InlineData("config.Relay.Sources.orders.outbox.Table=public.x", "config.Relay.Sources.orders.Outbox and outbox")]
    [InlineData("config.Relay.Sources.orders.slot=relay_x", "config.Relay.Sources.orders.Slot and slot")]
    public async Task One_key_in_two_spellings_is_refused_as_Relay_would(string set, string expected)
    {
        // .NET configuration keys are case-insensitive, and its JSON reader refuses a file with a key twice.
        var result = await Helm.TemplateRawAsync(Helm.ChartDir, [Path.Combine(Helm.ValuesDir, "ha.yaml")], [set]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public async Task Turning_off_Relays_HTTP_endpoint_is_refused_since_the_probes_need_it()
    {
        var result = await Helm.TemplateRawAsync(Helm.ChartDir, [Path.Combine(Helm.ValuesDir, "ha.yaml")], ["config.Relay.Http.Enabled=false"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("config.Relay.Http.Enabled is false", result.Stderr);
    }

    [Fact]
    public async Task Extra_env_volumes_and_image_values_reach_the_pod()
    {
        var file = WriteTemp("""
            image: { repository: registry.example.com/relay, tag: "1.2.3", pullPolicy: Always }
            extraEnv:
              - { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector:4317" }
            extraVolumes:
              - { name: kafka-ca, secret: { secretName: kafka-ca } }
            extraVolumeMounts:
              - { name: kafka-ca, mountPath: /etc/kafka-ca, readOnly: true }
            args: [run]
            """);
        var m = await Helm.TemplateAsync(Helm.ChartDir, [file]);
        var c = m.RelayContainer;
        Assert.Equal("registry.example.com/relay:1.2.3", (string?)c["image"]);
        Assert.Equal("Always", (string?)c["imagePullPolicy"]);
        Assert.Equal(["run"], c["args"]!.AsArray().Select(a => (string)a!));
        Assert.Contains(c["env"]!.AsArray(), e => (string?)e!["name"] == "OTEL_EXPORTER_OTLP_ENDPOINT" && (string?)e["value"] == "http://otel-collector:4317");
        Assert.Contains(c["volumeMounts"]!.AsArray(), v => (string?)v!["mountPath"] == "/etc/kafka-ca");
        Assert.Contains(m.PodSpec["volumes"]!.AsArray(), v => (string?)v!["secret"]?["secretName"] == "kafka-ca");
        AssertSecure(m.PodSpec, c); // the extras leave the security settings alone
    }

    [Fact]
    public async Task The_sidecar_example_puts_the_same_Relay_container_into_the_applications_pod()
    {
        var example = await Helm.SidecarExampleAsync();
        var lint = await Helm.LintAsync(example);
        Assert.True(lint.ExitCode == 0, "helm lint --strict on the sidecar example:\n" + lint.Output);

        var m = await Helm.TemplateAsync(example, []);
        Assert.Equal(["ConfigMap", "Deployment"], m.Kinds.Order()); // sidecar mode: no Deployment, Service or account of Relay's own
        var pod = m.PodSpec;
        Assert.Equal(["shop", "relay"], pod["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        var relay = m.RelayContainer;

        // The very container the relay chart renders for the same values in deployment mode.
        var relayValues = WriteTemp(ReadYaml(Path.Combine(Helm.SidecarExampleDir, "values.yaml"))["relay"]!.ToJsonString());
        var standalone = await Helm.TemplateAsync(Helm.ChartDir, [relayValues], ["mode=deployment"]);
        Assert.True(JsonNode.DeepEquals(standalone.RelayContainer, relay),
            $"sidecar container\n{relay.ToJsonString()}\ndiffers from the chart's\n{standalone.RelayContainer.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(standalone.PodSpec["volumes"], pod["volumes"]));

        AssertProbe(relay, "startupProbe", "/healthz");
        AssertProbe(relay, "livenessProbe", "/healthz");
        Assert.Null(relay["readinessProbe"]); // the example turns it off: Relay's standby must not take the shop out of its Service
        AssertSecure(null, relay);
        var configVolume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "relay-config")!;
        Assert.Equal((string?)m.Single("ConfigMap")["metadata"]!["name"], (string?)configVolume["configMap"]!["name"]);
        Assert.Equal(30 + 15, (long)pod["terminationGracePeriodSeconds"]!);
        Assert.NotNull(m.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]);

        var check = RelayConfigCheck.Check(m.RelayConfigText);
        Assert.Empty(check.Errors);
        Assert.Empty(check.UnknownKeys);

        var native = await Helm.TemplateAsync(example, [], ["relay.sidecar.native=true"]);
        Assert.Equal(["shop"], native.PodSpec["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        var init = native.PodSpec["initContainers"]!.AsArray().Single()!;
        Assert.Equal("relay", (string?)init["name"]);
        Assert.Equal("Always", (string?)init["restartPolicy"]);
    }

    private static long ConfiguredPort(JsonObject config)
    {
        var relay = CaseInsensitive(config, "Relay");
        var http = relay is null ? null : CaseInsensitive(relay, "Http");
        var port = http is null ? null : CaseInsensitive(http, "Port");
        return port is null ? 8080 : long.Parse(port.ToString());

        static JsonNode? CaseInsensitive(JsonNode node, string key) =>
            node.AsObject().FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
    }

    private static void AssertProbe(JsonObject container, string probe, string path)
    {
        var get = container[probe]?["httpGet"];
        Assert.True(get is not null, $"The container has no {probe} with httpGet.");
        Assert.Equal(path, (string?)get["path"]);
        Assert.Equal("http", (string?)get["port"]);
    }

    private static void AssertSecure(JsonObject? pod, JsonObject container)
    {
        if (pod is not null)
        {
            var psc = pod["securityContext"]!;
            Assert.True((bool)psc["runAsNonRoot"]!);
            Assert.True((long)psc["runAsUser"]! > 0);
            Assert.Equal("RuntimeDefault", (string?)psc["seccompProfile"]!["type"]);
            var tmp = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["mountPath"] == "/tmp")!;
            var tmpVolume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)tmp["name"])!;
            Assert.NotNull(tmpVolume["emptyDir"]);
            Assert.DoesNotContain(pod["volumes"]!.AsArray(), v => v!["hostPath"] is not null);
            Assert.Null(pod["hostNetwork"]);
        }
        var sc = container["securityContext"]!;
        Assert.True((bool)sc["runAsNonRoot"]!);
        Assert.True((long)sc["runAsUser"]! > 0);
        Assert.True((bool)sc["readOnlyRootFilesystem"]!);
        Assert.False((bool)sc["allowPrivilegeEscalation"]!);
        Assert.False((bool)sc["privileged"]!);
        Assert.Equal(["ALL"], sc["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.Null(sc["capabilities"]!["add"]);
        Assert.Equal("RuntimeDefault", (string?)sc["seccompProfile"]!["type"]);
        Assert.Contains(container["volumeMounts"]!.AsArray(), v => (string?)v!["mountPath"] == "/tmp");
    }

    private static void AssertSubset(JsonObject subset, JsonObject of)
    {
        Assert.NotEmpty(subset);
        foreach (var (k, v) in subset)
            Assert.True(of[k] is not null && JsonNode.DeepEquals(of[k], v), $"{k}={v} is not among {of.ToJsonString()}");
    }

    private static JsonObject ReadYaml(string path)
    {
        // helm's own YAML reading is the reference; one document of plain maps is all these files hold.
        var text = File.ReadAllText(path);
        return Manifests.ParseValues(text);
    }

    private static string WriteTemp(string yaml)
    {
        var dir = Repo.Scratch("values");
        var file = Path.Combine(dir, "values.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }
}
