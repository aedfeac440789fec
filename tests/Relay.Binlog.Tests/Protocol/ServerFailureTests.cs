using System.Diagnostics;
using MySqlConnector;
using Relay.Binlog.Protocol;
using static Relay.Binlog.Tests.Protocol.ProtocolTestKit;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>What a dump sees when its server freezes or dies, and a server without event checksums; each on a private MariaDB.</summary>
public class ServerFailureTests
{
    [Fact]
    public async Task A_frozen_server_times_out_the_read_and_a_killed_one_closes_the_stream()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var (file, position) = await MasterStatusAsync(server.AdminConnectionString);
        var options = Options(server.AdminConnectionString, heartbeat: TimeSpan.FromMilliseconds(500), readTimeout: TimeSpan.FromSeconds(2));

        await using (var client = await BinlogClient.ConnectAsync(options, CancellationToken.None))
        {
            await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
            await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.Heartbeat, TimeSpan.FromSeconds(20));
            int pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(server.BinlogDirectory, "..", "mysqld.pid")), System.Globalization.CultureInfo.InvariantCulture);
            Signal("STOP", pid);
            try
            {
                var stopwatch = Stopwatch.StartNew();
                var timeout = await Assert.ThrowsAsync<TimeoutException>(async () =>
                {
                    while (await client.ReadEventAsync(CancellationToken.None)) { }
                });
                Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1), $"the read gave up after {stopwatch.Elapsed}, before its timeout");
                Assert.Contains("sent nothing for 2 s", timeout.Message);
                Assert.Contains("Heartbeats were due every 0.5 s", timeout.Message);
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.ReadEventAsync(CancellationToken.None));
            }
            finally
            {
                Signal("CONT", pid);
            }
        }

        await using (var client = await BinlogClient.ConnectAsync(options, CancellationToken.None))
        {
            await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
            await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.FormatDescription, TimeSpan.FromSeconds(20));
            server.KillHard();
            var closed = await Assert.ThrowsAnyAsync<IOException>(async () =>
            {
                while (await client.ReadEventAsync(CancellationToken.None)) { }
            });
            // At once, not by the read timeout: that would be a TimeoutException ("sent nothing for 2 s"), not the closed connection.
            Assert.Contains("closed the connection", closed.Message);
        }
    }

    [Fact]
    public async Task A_server_without_event_checksums_still_streams()
    {
        await using var server = await MariaDbInstance.StartAsync("--binlog-checksum=NONE");
        await server.ExecuteAsync("CREATE DATABASE relay_t; CREATE TABLE relay_t.notes (id INT PRIMARY KEY, note VARCHAR(64))");
        var (file, position) = await MasterStatusAsync(server.AdminConnectionString);
        await using var client = await BinlogClient.ConnectAsync(Options(server.AdminConnectionString), CancellationToken.None);
        Assert.Equal("NONE", client.ServerChecksum);
        await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        await server.ExecuteAsync("INSERT INTO relay_t.notes VALUES (1, 'no-checksum')");
        var events = await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.Xid, TimeSpan.FromSeconds(30));
        Assert.Contains(events, e => RawEvent.Type(e) == RawEvent.WriteRowsV1 && RawEvent.Contains(e, "no-checksum"));
        Assert.Equal(19 + 8, events[^1].Length); // header and xid, no CRC32
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
