using MySqlConnector;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>Shared steps of the transport tests against real servers.</summary>
internal static class ProtocolTestKit
{
    /// <summary>A server id no other test (or helper) uses: a clash would kill someone else's dump.</summary>
    public static uint RandomServerId() => (uint)Random.Shared.NextInt64(1_000_000, 4_000_000_000);

    public static BinlogClientOptions Options(string connectionString, TimeSpan? heartbeat = null, bool nonBlocking = false,
        TimeSpan? readTimeout = null, uint? serverId = null) => new()
    {
        ConnectionString = connectionString,
        ServerId = serverId ?? RandomServerId(),
        HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(5),
        ReadTimeout = readTimeout,
        NonBlocking = nonBlocking,
    };

    public static async Task<(string File, ulong Position)> MasterStatusAsync(string connectionString)
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SHOW MASTER STATUS", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "SHOW MASTER STATUS returned no row: the binlog is off");
        return (reader.GetString(0), Convert.ToUInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The connection string of the shared server for the binlog client (no default database).</summary>
    public static async Task<string> SharedServerAsync() =>
        new MySqlConnectionStringBuilder(await TestServers.MySqlAsync()) { Database = "" }.ConnectionString;

    /// <summary>Reads events until <paramref name="stop"/> says so; fails after <paramref name="timeout"/> or at the stream's end.</summary>
    public static async Task<List<byte[]>> ReadUntilAsync(BinlogClient client, Func<byte[], bool> stop, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var events = new List<byte[]>();
        while (true)
        {
            bool more;
            try
            {
                more = await client.ReadEventAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException($"The awaited event did not arrive within {timeout}; got types {string.Join(",", events.Select(e => e[4]))}");
            }
            Assert.True(more, "The stream ended before the awaited event");
            var e = client.Event.ToArray();
            Assert.Equal(RawEvent.Size(e), (uint)e.Length);
            events.Add(e);
            if (stop(e)) return events;
        }
    }
}
