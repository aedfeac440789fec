using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>Npgsql's pgoutput reader that does nothing with the rows: the decode rate a .NET relay could reach at best.</summary>
public static class BareWalReader
{
    public static async Task<LimitRun> RunAsync(string connectionString, string slot, string publication, long rows)
    {
        var started = BenchClock.Now;
        await using var connection = new LogicalReplicationConnection(connectionString);
        await connection.Open();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        long inserts = 0;
        await foreach (var message in connection.StartReplication(
                           new PgOutputReplicationSlot(slot), new PgOutputReplicationOptions(publication, PgOutputProtocolVersion.V1), timeout.Token))
        {
            if (message is InsertMessage) inserts++;
            else if (message is CommitMessage && inserts >= rows) break;
        }
        return new LimitRun("bare Npgsql pgoutput reader", rows, BenchClock.SecondsSince(started));
    }
}
