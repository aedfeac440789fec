using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Relay.Tests.Deploy;

/// <summary>
/// Relay's container image, built once per test run by scripts/build-oci-image.sh (which installs
/// umoci and runc when they are missing) with an empty NuGet package folder, and run under runc.
/// </summary>
internal static class OciImage
{
    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The image reference "LAYOUT_DIR:TAG".</summary>
    public static Task<string> ReferenceAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        // One place in the repository (artifacts/ is ignored by git), replaced by every run: nothing piles up.
        var output = Repo.Path("artifacts", "test-image");
        // As on a machine that never built anything: the Dockerfile's restore fills an empty package folder, so
        // every package the publish needs (the runtime and Crossgen2 packs of the self-contained ReadyToRun
        // composite above all) must come from that restore, not from what earlier builds left in the cache.
        var packages = Directory.CreateTempSubdirectory("relay-nuget-").FullName;
        try
        {
            var result = await Repo.RunAsync("bash", [Repo.Path("scripts", "build-oci-image.sh"), output], TimeSpan.FromMinutes(15),
                new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages });
            Assert.True(result.ExitCode == 0, "scripts/build-oci-image.sh failed:\n" + result.Output);
            Assert.True(Directory.Exists(Path.Combine(packages, "microsoft.netcore.app.crossgen2.linux-x64")),
                "the image's restore did not go to the fresh NUGET_PACKAGES folder:\n" + result.Output);
            var reference = result.Stdout.Trim().Split('\n')[^1].Trim();
            Assert.StartsWith(output, reference);
            return reference;
        }
        finally
        {
            Directory.Delete(packages, recursive: true);
        }
    }

    /// <summary>Unpacks the image into a runtime bundle (rootfs + config.json made from the image's config).</summary>
    public static async Task<string> UnpackAsync(string reference)
    {
        var bundle = Path.Combine(Directory.CreateTempSubdirectory("relay-bundle-").FullName, "bundle");
        var result = await Repo.RunAsync("umoci", ["unpack", "--image", reference, bundle], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, "umoci unpack failed:\n" + result.Output);
        return bundle;
    }
}

/// <summary>
/// One container under runc, set up as the Helm chart runs the pod: read-only root filesystem, a
/// tmpfs at /tmp, no capabilities, no new privileges, the configuration directory mounted read-only
/// at /etc/relay. It shares the host's network namespace, so it reaches the local test servers and
/// the test reaches its port on 127.0.0.1.
/// </summary>
internal sealed class RuncContainer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _state;
    private readonly string _bundle;

    private RuncContainer(Process process, string state, string bundle, string id)
    {
        _process = process;
        _state = state;
        _bundle = bundle;
        Id = id;
    }

    public string Id { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Adjusts the bundle's config.json (made by umoci from the image) and starts the container.</summary>
    public static RuncContainer Start(string bundle, IReadOnlyDictionary<string, string> env, string configDir)
    {
        var configPath = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        var process = config["process"]!;
        process["terminal"] = false;
        var envArray = process["env"]!.AsArray();
        foreach (var (k, v) in env) envArray.Add($"{k}={v}");
        foreach (var set in process["capabilities"]!.AsObject().Select(p => p.Key).ToList())
            process["capabilities"]![set] = new JsonArray();
        process["noNewPrivileges"] = true;
        config["root"]!["readonly"] = true;
        var namespaces = config["linux"]!["namespaces"]!.AsArray();
        foreach (var ns in namespaces.Where(n => (string?)n!["type"] == "network").ToList()) namespaces.Remove(ns);
        var mounts = config["mounts"]!.AsArray();
        mounts.Add(new JsonObject
        {
            ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs",
            ["options"] = new JsonArray("nosuid", "nodev", "mode=1777", "size=65536k"),
        });
        mounts.Add(new JsonObject
        {
            ["destination"] = "/etc/relay", ["type"] = "bind", ["source"] = configDir,
            ["options"] = new JsonArray("rbind", "ro"),
        });
        File.WriteAllText(configPath, config.ToJsonString());

        var state = Directory.CreateTempSubdirectory("relay-runc-").FullName;
        var id = "relay-test-" + Guid.NewGuid().ToString("N")[..10];
        var info = new ProcessStartInfo("runc")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", state, "run", "--bundle", bundle, id }) info.ArgumentList.Add(a);
        var runc = new Process { StartInfo = info };
        var container = new RuncContainer(runc, state, bundle, id);
        runc.OutputDataReceived += (_, e) => container.Append(e.Data);
        runc.ErrorDataReceived += (_, e) => container.Append(e.Data);
        runc.Start();
        runc.BeginOutputReadLine();
        runc.BeginErrorReadLine();
        return container;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>runc state: status and the host pid of the container's process.</summary>
    public async Task<JsonObject?> StateAsync()
    {
        var result = await Repo.RunAsync("runc", ["--root", _state, "state", Id], TimeSpan.FromSeconds(30));
        return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout)!.AsObject() : null;
    }

    /// <summary>SIGTERM to the container's process, as the kubelet sends it; returns the container's exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        var kill = await Repo.RunAsync("runc", ["--root", _state, "kill", Id, "TERM"], TimeSpan.FromSeconds(30));
        Assert.True(kill.ExitCode == 0, "runc kill TERM failed:\n" + kill.Output);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await Repo.RunAsync("runc", ["--root", _state, "kill", Id, "KILL"], TimeSpan.FromSeconds(30));
            if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        }
        await Repo.RunAsync("runc", ["--root", _state, "delete", "--force", Id], TimeSpan.FromSeconds(30));
        _process.Dispose();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
        try { Directory.Delete(Path.GetDirectoryName(_bundle)!, recursive: true); } catch (IOException) { }
    }
}
