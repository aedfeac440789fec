using System.Diagnostics;
using Npgsql;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// pgbench (C, so the writer costs little next to the relay) running a one-statement script: single-row autocommit
/// INSERTs, throttled to the offered rate (-R, Poisson-spaced as pgbench schedules them).
/// </summary>
public sealed class PgBenchWriter(string connectionString) : IRateWriter
{
    public async Task<string> RunAsync(string run, int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var script = Path.Combine(Path.GetTempPath(), $"relay-bench-{run}.sql");
        // jsonb prints {"n": …, "t": …, "pad": "x…"}: about 300 bytes, "t" the insert time in µs, read back by the consumers.
        await File.WriteAllTextAsync(script, $"""
            INSERT INTO {OutboxDatabase.Table(run)} (aggregatetype, aggregateid, type, payload) VALUES ('order', ((:client_id)::int % 1000)::text, 'Created', jsonb_build_object('n', (:client_id)::int, 't', (extract(epoch from clock_timestamp()) * 1000000)::bigint, 'pad', repeat('x', {PostgresOutbox.Pad(BenchSettings.PayloadBytes) - 20})));

            """, cancellationToken);
        try
        {
            var clients = rate >= 5_000 ? 8 : rate >= 1_000 ? 4 : 2;
            var info = new ProcessStartInfo("pgbench") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[]
                     {
                         "-n", "-M", "prepared", "-f", script, "-R", rate.ToString(), "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(),
                         "-c", clients.ToString(), "-j", rate >= 5_000 ? "2" : "1",
                         "-h", builder.Host!, "-p", builder.Port.ToString(), "-U", builder.Username!, builder.Database!,
                     })
                info.ArgumentList.Add(arg);
            info.Environment["PGPASSWORD"] = builder.Password;
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0) throw new InvalidOperationException($"pgbench failed ({process.ExitCode}): {await stderr}");
            await stdout;
            return $"pgbench, {clients} clients";
        }
        finally
        {
            File.Delete(script);
        }
    }
}
