using System.Diagnostics;
using MySqlConnector;

namespace Relay.Bench.Infrastructure;

/// <summary>
/// A small prepared-statement loop (there is no pgbench for MariaDB here): a few connections, each committing single-row
/// autocommit INSERTs on a fixed schedule that together make the offered rate.
/// </summary>
public sealed class MySqlPacedWriter(string connectionString) : IRateWriter
{
    public async Task<string> RunAsync(string run, int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var connections = rate >= 5_000 ? 8 : rate >= 1_000 ? 4 : 2;
        var perConnection = (double)rate / connections;
        var start = Stopwatch.GetTimestamp();
        var stop = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var pad = MySqlOutbox.Pad(BenchSettings.PayloadBytes) - 20;
        async Task WriteAsync(int client)
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var cmd = new MySqlCommand($"""
                INSERT INTO {OutboxDatabase.Table(run)} (aggregatetype, aggregateid, type, payload)
                VALUES ('order', @id, 'Created', JSON_OBJECT('n', @n, 't', CAST(UNIX_TIMESTAMP(SYSDATE(6)) * 1000000 AS UNSIGNED), 'pad', REPEAT('x', {pad})))
                """, connection);
            var id = cmd.Parameters.Add("@id", MySqlDbType.VarChar);
            var n = cmd.Parameters.Add("@n", MySqlDbType.Int64);
            await cmd.PrepareAsync(cancellationToken);
            // Clients are offset by a fraction of their period, so together they spread evenly.
            for (long i = 0; ; i++)
            {
                var due = start + (long)((i + (double)client / connections) / perConnection * Stopwatch.Frequency);
                // Behind the schedule (a busy server), the loop stops at the deadline all the same.
                if (due >= stop || Stopwatch.GetTimestamp() >= stop) return;
                var wait = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
                if (wait >= 1) await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
                id.Value = (client % 1000).ToString();
                n.Value = i * connections + client;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(() => WriteAsync(c), cancellationToken)));
        return $"prepared-statement loop, {connections} connections";
    }
}
