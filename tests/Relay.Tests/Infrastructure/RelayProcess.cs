using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// The relay as its users run it: a separate process (the built Relay.dll), configured only through
/// environment variables, started in an empty working directory so no appsettings.json leaks in.
/// </summary>
public sealed partial class RelayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _workDir;

    private RelayProcess(Process process, string workDir)
    {
        _process = process;
        _workDir = workDir;
    }

    public int Id => _process.Id;

    /// <summary>The working directory (the content root), where a test may put appsettings.json or a --config file.</summary>
    public string WorkingDirectory => _workDir;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static RelayProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, null, args);

    /// <summary>
    /// Starts the relay as <paramref name="uid"/> (through setpriv) when given: a throwaway uid that firewall rules can
    /// match (see <see cref="NetworkCut"/>). The working directory is handed to that uid and is its HOME.
    /// </summary>
    public static RelayProcess Start(IReadOnlyDictionary<string, string> environment, int? uid, params string[] args)
    {
        var workDir = Directory.CreateTempSubdirectory("relay-run-").FullName;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(uid is null ? dotnet : "setpriv")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // nobody types: a command that asks for confirmation sees no terminal
            UseShellExecute = false,
        };
        if (uid is { } u)
        {
            // setpriv execs the relay: the process id stays the relay's, so kill and wait work as without it.
            foreach (var arg in new[] { "--reuid", u.ToString(), "--regid", u.ToString(), "--clear-groups", "--", dotnet }) info.ArgumentList.Add(arg);
            _ = Chown(workDir, u, u);
            info.Environment["HOME"] = workDir;
            info.Environment["DOTNET_CLI_HOME"] = workDir;
        }
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Relay.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Relay__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase) || k == "RELAY_CONFIG_FILE").ToList())
            info.Environment.Remove(key);
        // Tests that do not look at the HTTP endpoint must not fight over port 8080; those that do set a free port.
        info.Environment["Relay__Http__Enabled"] = "false";
        info.Environment["DOTNET_ENVIRONMENT"] = "Test";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var relay = new RelayProcess(process, workDir);
        process.OutputDataReceived += (_, e) => relay.Append(e.Data);
        process.ErrorDataReceived += (_, e) => relay.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return relay;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>kill -9: no shutdown code runs, open transactions and sockets are simply abandoned.</summary>
    public void KillHard()
    {
        if (_process.HasExited) return;
        _ = Kill(_process.Id, 9);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process freezes mid-instruction, its sockets stay open: a zombie in the making.</summary>
    public void Freeze() => _ = Kill(_process.Id, 19);

    /// <summary>SIGCONT: the frozen process carries on as if nothing happened.</summary>
    public void Thaw() => _ = Kill(_process.Id, 18);

    /// <summary>SIGTERM, as Kubernetes sends it, then waits for the process to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited) _ = Kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Runs a command to its end: its exit code and everything it printed.</summary>
    public static async Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        using var relay = Start(environment, args);
        var code = await relay.WaitForExitAsync(timeout);
        return (code, relay.Output);
    }

    /// <summary>The environment of one source, orders, of <paramref name="kind"/>, publishing to one Redis sink, main, under <paramref name="prefix"/>.</summary>
    public static Dictionary<string, string> SourceToRedis(string kind, string connectionString, string redis, string prefix) => new()
    {
        ["Relay__Sources__orders__Kind"] = kind,
        ["Relay__Sources__orders__ConnectionString"] = connectionString,
        ["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
        ["Relay__Sinks__main__Kind"] = "Redis",
        ["Relay__Sinks__main__Configuration"] = redis,
        ["Relay__Sinks__main__KeyPrefix"] = prefix + ":",
    };

    /// <summary>
    /// Waits until the output holds <paramref name="text"/> <paramref name="times"/> times (120 s at most, a deadline for a
    /// stuck relay on a loaded machine, not a timing); fails with the output if the process exits first or the deadline passes.
    /// </summary>
    public async Task WaitForOutputAsync(string text, int times = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (Count(Output, text) < times)
        {
            Assert.False(HasExited && Count(Output, text) < times, $"The relay exited before it printed \"{text}\" {times} time(s):\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"The relay did not print \"{text}\" {times} time(s) within 120 s:\n{Output}");
            await Task.Delay(50);
        }

        static int Count(string output, string text)
        {
            var count = 0;
            for (var at = output.IndexOf(text, StringComparison.Ordinal); at >= 0; at = output.IndexOf(text, at + text.Length, StringComparison.Ordinal)) count++;
            return count;
        }
    }

    /// <summary>
    /// Waits until the Redis stream holds <paramref name="length"/> entries (within <paramref name="seconds"/>, a deadline
    /// for a stuck relay, not a timing); fails with the output if the relay exits first or the deadline passes.
    /// </summary>
    public async Task WaitForStreamAsync(StackExchange.Redis.ConnectionMultiplexer mux, string stream, long length, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (await mux.GetDatabase().StreamLengthAsync(stream) < length)
        {
            Assert.False(HasExited, $"The relay exited:\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"{stream} did not reach {length} entries within {seconds} s:\n{Output}");
            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int owner, int group);
}
