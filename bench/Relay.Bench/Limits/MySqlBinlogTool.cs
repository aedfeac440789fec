using System.Diagnostics;
using MySqlConnector;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>mysqlbinlog --read-from-remote-server --raw: the server's own client copying the same binlog range.</summary>
public static class MySqlBinlogTool
{
    public static async Task<LimitRun> RunAsync(string connectionString, string file, ulong position, long rows)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString);
        var directory = Directory.CreateTempSubdirectory("relay-bench-binlog-").FullName;
        try
        {
            var info = new ProcessStartInfo("mysqlbinlog") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[]
                     {
                         "--read-from-remote-server", "--raw", "--host", builder.Server, "--port", builder.Port.ToString(),
                         "--user", builder.UserID, $"--password={builder.Password}", $"--start-position={position}",
                         "--to-last-log", $"--result-file={directory}/", file,
                     })
                info.ArgumentList.Add(arg);
            var started = BenchClock.Now;
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await process.WaitForExitAsync(timeout.Token);
            var seconds = BenchClock.SecondsSince(started);
            if (process.ExitCode != 0) throw new InvalidOperationException($"mysqlbinlog failed ({process.ExitCode}): {await stderr}");
            var bytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
            return new LimitRun("mysqlbinlog --read-from-remote-server --raw", rows, seconds, bytes);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
