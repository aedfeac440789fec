using Relay.Bench.Infrastructure;
using Relay.Binlog.Protocol;

namespace Relay.Bench.Limits;

/// <summary>Relay's own binlog client, framing events only (no decoding), from a file position to the end of the binlog.</summary>
public static class BareBinlogReader
{
    public static async Task<LimitRun> RunAsync(string connectionString, string file, ulong position, long rows)
    {
        var started = BenchClock.Now;
        await using var client = await BinlogClient.ConnectAsync(new BinlogClientOptions
        {
            ConnectionString = connectionString,
            ServerId = MySqlOutbox.NextServerId(),
            NonBlocking = true,
        }, CancellationToken.None);
        await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        long bytes = 0;
        while (await client.ReadEventAsync(CancellationToken.None)) bytes += client.Event.Length;
        return new LimitRun("Relay's BinlogClient, framing only", rows, BenchClock.SecondsSince(started), bytes);
    }
}
