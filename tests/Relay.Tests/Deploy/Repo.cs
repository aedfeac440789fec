using System.Diagnostics;
using System.Text;

namespace Relay.Tests.Deploy;

/// <summary>The repository the tests run from, and a way to run its scripts and tools.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static readonly Lazy<string> ScratchRoot = new(() =>
    {
        // artifacts/ is ignored by git; what an earlier run left is removed here, so nothing piles up.
        var dir = Path("artifacts", "test-scratch");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    });

    /// <summary>A new empty folder for one test's files (values files, chart copies).</summary>
    public static string Scratch(string name)
    {
        var dir = System.IO.Path.Combine(ScratchRoot.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Relay.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Relay.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    /// <summary>Runs a program to its end; its output is returned, never printed (it may hold test secrets).</summary>
    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null, string? workDir = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Root,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}.");
        }
        process.WaitForExit();
        lock (stdout) lock (stderr) return new CommandResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}
