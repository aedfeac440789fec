using System.Diagnostics;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// A database's own log client following the log live (pg_recvlogical, mysqlbinlog --stop-never) beside the relay, its
/// output thrown away; measured the way the relay is (<see cref="ProcessMeter"/>), and stopped with SIGINT.
/// </summary>
public sealed class FollowerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private FollowerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        Meter = new ProcessMeter(process.Id);
    }

    public string Name { get; }

    public ProcessMeter Meter { get; }

    /// <summary>Starts <paramref name="command"/> through sh's exec (same pid), its standard output sent to /dev/null.</summary>
    public static FollowerProcess Start(string name, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = false, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" > /dev/null");
        info.ArgumentList.Add("follower");
        foreach (var arg in command) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return new FollowerProcess(name, Process.Start(info)!);
    }

    public void ThrowIfExited()
    {
        if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}: {(_stderr.IsCompleted ? _stderr.Result : "")}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-INT", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        _process.Dispose();
    }
}
