using k8s;
using k8s.Models;

namespace Relay.Tests.Deploy;

/// <summary>
/// Every object the chart renders read into KubernetesClient's typed models in strict mode, so a
/// misspelt or misplaced field (`initialDelaySecond`, a probe under the pod) fails, as
/// `kubeconform -strict` would; the ServiceMonitor (no built-in model) is checked field by field.
/// </summary>
public sealed class KubernetesSchemaTests
{
    public static TheoryData<string> ValueSets => new() { "", "ha.yaml", "existing-secret.yaml", "secrets.yaml" };

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Every_rendered_object_is_a_Kubernetes_object_without_unknown_fields(string set)
    {
        var result = await Helm.TemplateRawAsync(Helm.ChartDir, set == "" ? [] : [Path.Combine(Helm.ValuesDir, set)]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        AssertStrict(result.Stdout);
    }

    [Fact]
    public async Task The_sidecar_examples_objects_are_Kubernetes_objects_without_unknown_fields()
    {
        var example = await Helm.SidecarExampleAsync();
        foreach (var native in new[] { "false", "true" })
        {
            var result = await Helm.TemplateRawAsync(example, [], [$"relay.sidecar.native={native}"]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            AssertStrict(result.Stdout);
        }
    }

    [Fact]
    public void A_misspelt_field_is_caught()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata: { name: x }
            spec:
              ports: [{ name: http, port: 80, targetPrt: http }]
            """;
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));

        const string deep = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: x }
            spec:
              selector: { matchLabels: { a: b } }
              template:
                metadata: { labels: { a: b } }
                spec:
                  containers:
                    - name: relay
                      image: relay
                      livenessProbe: { httpGet: { path: /healthz, port: http }, initialDelaySecond: 1 }
            """;
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(deep, strict: true));
        Assert.Single(KubernetesYaml.LoadAllFromString(deep.Replace("initialDelaySecond", "initialDelaySeconds"), strict: true));
    }

    private static void AssertStrict(string yaml)
    {
        var m = Manifests.Parse(yaml);
        var builtIn = string.Join("\n---\n", m.Objects.Where(o => (string?)o["kind"] != "ServiceMonitor").Select(o => o.ToJsonString()));
        var objects = KubernetesYaml.LoadAllFromString(builtIn, strict: true);
        Assert.Equal(m.Objects.Count(o => (string?)o["kind"] != "ServiceMonitor"), objects.Count);
        Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject>(o));
        foreach (var monitor in m.OfKind("ServiceMonitor"))
        {
            Assert.Equal(["apiVersion", "kind", "metadata", "spec"], monitor.Select(p => p.Key).Order());
            Assert.Subset(new HashSet<string> { "selector", "namespaceSelector", "endpoints" }, monitor["spec"]!.AsObject().Select(p => p.Key).ToHashSet());
            foreach (var endpoint in monitor["spec"]!["endpoints"]!.AsArray())
                Assert.Subset(new HashSet<string> { "port", "path", "interval", "scrapeTimeout" }, endpoint!.AsObject().Select(p => p.Key).ToHashSet());
        }
    }
}
