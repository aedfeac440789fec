using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Relay.Tests.Deploy;

/// <summary>The objects helm rendered, each as JSON (plain YAML scalars typed as YAML 1.2 core does: int, bool, null).</summary>
internal sealed class Manifests
{
    private Manifests(List<JsonObject> objects, string text)
    {
        Objects = objects;
        Text = text;
    }

    public IReadOnlyList<JsonObject> Objects { get; }

    /// <summary>helm's output as it came.</summary>
    public string Text { get; }

    public static Manifests Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = new List<JsonObject>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is YamlScalarNode { Value: null or "" }) continue;
            Assert.IsType<YamlMappingNode>(doc.RootNode);
            var obj = (JsonObject)ToJson(doc.RootNode)!;
            Assert.True(obj["apiVersion"] is not null && obj["kind"] is not null && obj["metadata"]?["name"] is not null,
                "Every rendered object has apiVersion, kind and metadata.name:\n" + obj.ToJsonString());
            objects.Add(obj);
        }
        return new Manifests(objects, yaml);
    }

    /// <summary>A values file (one YAML document of maps) as JSON.</summary>
    public static JsonObject ParseValues(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (JsonObject)ToJson(stream.Documents.Single().RootNode)!;
    }

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public JsonObject Single(string kind)
    {
        var all = OfKind(kind).ToList();
        Assert.True(all.Count == 1, $"Expected one {kind}, found {all.Count}: {string.Join(", ", Objects.Select(o => o["kind"] + "/" + o["metadata"]!["name"]))}");
        return all[0];
    }

    public bool Has(string kind) => OfKind(kind).Any();

    public IEnumerable<string> Kinds => Objects.Select(o => (string)o["kind"]!);

    public JsonObject Deployment => Single("Deployment");
    public JsonObject PodSpec => Deployment["spec"]!["template"]!["spec"]!.AsObject();

    /// <summary>The container named relay in the pod (containers or, as a native sidecar, initContainers).</summary>
    public JsonObject RelayContainer => Container(PodSpec, "relay");

    public static JsonObject Container(JsonNode podSpec, string name)
    {
        var all = Array("containers").Concat(Array("initContainers")).Where(c => (string?)c["name"] == name).ToList();
        Assert.True(all.Count == 1, $"Expected one container named {name} in the pod, found {all.Count}.");
        return all[0].AsObject();

        IEnumerable<JsonNode> Array(string key) => podSpec[key]?.AsArray().Select(n => n!) ?? [];
    }

    /// <summary>The relay.json that the ConfigMap carries, parsed.</summary>
    public JsonObject RelayConfig => (JsonObject)JsonNode.Parse(RelayConfigText)!;

    public string RelayConfigText
    {
        get
        {
            var data = Single("ConfigMap")["data"]!.AsObject();
            Assert.Equal(["relay.json"], data.Select(p => p.Key));
            return (string)data["relay.json"]!;
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return JsonValue.Create(n);
        return JsonValue.Create(value);
    }
}
