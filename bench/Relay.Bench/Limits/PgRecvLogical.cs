using System.Diagnostics;
using Npgsql;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>PostgreSQL's own client decoding the same WAL with pgoutput to /dev/null: the server's decode rate with no consumer cost.</summary>
public static class PgRecvLogical
{
    public static async Task<LimitRun> RunAsync(string connectionString, string slot, string publication, string endLsn, long rows)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo("pg_recvlogical") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[]
                 {
                     "-h", builder.Host!, "-p", builder.Port.ToString(), "-U", builder.Username!, "-d", builder.Database!,
                     "--slot", slot, "--start", "--no-loop", "--endpos", endLsn,
                     "-o", "proto_version=1", "-o", $"publication_names={publication}", "-f", "/dev/null",
                 })
            info.ArgumentList.Add(arg);
        info.Environment["PGPASSWORD"] = builder.Password;
        var started = BenchClock.Now;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        var seconds = BenchClock.SecondsSince(started);
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg_recvlogical failed ({process.ExitCode}): {await stderr}");
        return new LimitRun("pg_recvlogical (pgoutput → /dev/null)", rows, seconds);
    }
}
