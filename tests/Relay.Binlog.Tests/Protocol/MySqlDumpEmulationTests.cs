using System.Buffers.Binary;
using System.Text;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>
/// A whole MySQL 8 replication session played by a scripted server: login, session variables, COM_REGISTER_SLAVE,
/// COM_BINLOG_DUMP_GTID (checked against <see cref="CommandVectorTests.DumpGtidVector"/>), then the binlog network
/// stream (dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html: each event is an
/// OK byte 0x00 followed by the event; ERR_Packet on error; EOF_Packet at the end of a non-blocking dump).
/// </summary>
public class MySqlDumpEmulationTests
{
    private const uint ServerId = 123456789;

    [Fact]
    public async Task A_gtid_dump_sends_the_documented_commands_and_yields_events_until_EOF()
    {
        var events = new[] { FakeEvent(15, 120), FakeEvent(33, 79), FakeEvent(2, 300) };
        await using var server = ScriptedServer.Start(async s =>
        {
            await LoginAsync(s);
            Assert.Equal("SELECT @@global.binlog_checksum", await QueryTextAsync(s));
            await s.SendSingleValueAsync("@@global.binlog_checksum", "CRC32");
            Assert.Equal("SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum", await QueryTextAsync(s));
            await s.SendOkAsync();
            // 1.5 s heartbeat = 1 500 000 000 ns.
            Assert.Equal("SET @master_heartbeat_period = 1500000000, @source_heartbeat_period = 1500000000", await QueryTextAsync(s));
            await s.SendOkAsync();

            var register = await s.ReceiveCommandAsync();
            Assert.Equal(Convert.FromHexString("15" + "15cd5b07" + "00" + "00" + "00" + "0000" + "00000000" + "00000000"), register);
            await s.SendOkAsync();

            var dump = await s.ReceiveCommandAsync();
            Assert.Equal(CommandVectorTests.DumpGtidVector[4..], dump);
            foreach (var e in events) await s.SendAsync([0x00, .. e]);
            await s.SendAsync([0xFE, 0x00, 0x00, 0x02, 0x00]);
        });

        var options = new BinlogClientOptions
        {
            ConnectionString = server.ConnectionString("SslMode=None"),
            ServerId = ServerId,
            HeartbeatInterval = TimeSpan.FromSeconds(1.5),
        };
        await using var client = await BinlogClient.ConnectAsync(options, CancellationToken.None);
        Assert.Equal(ServerFlavor.MySql, client.Flavor);
        Assert.Equal("CRC32", client.ServerChecksum);
        await client.StartAsync(BinlogStartPosition.FromMySqlGtidSet(CommandVectorTests.DumpGtidSet), CancellationToken.None);
        foreach (var expected in events)
        {
            Assert.True(await client.ReadEventAsync(CancellationToken.None));
            Assert.Equal(expected, client.Event.ToArray());
        }
        Assert.False(await client.ReadEventAsync(CancellationToken.None));
        Assert.False(await client.ReadEventAsync(CancellationToken.None));
        await server.CompletedAsync();
    }

    [Fact]
    public async Task A_purged_gtid_error_and_a_same_server_id_kill_surface_as_their_exceptions()
    {
        const string purged = "Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup.";
        const string sameId = "A slave with the same server_uuid/server_id as this slave has connected to the master; the first event 'binlog.000001' at 4, the last event read from 'binlog.000001' at 126, the last byte read from 'binlog.000001' at 126.";
        foreach (var (message, conflict) in new[] { (purged, false), (sameId, true) })
        {
            await using var server = ScriptedServer.Start(async s =>
            {
                await LoginAsync(s);
                await QueryTextAsync(s);
                await s.SendSingleValueAsync("@@global.binlog_checksum", "NONE");
                for (int i = 0; i < 1; i++)
                {
                    await QueryTextAsync(s);
                    await s.SendOkAsync();
                }
                await s.ReceiveCommandAsync();
                await s.SendOkAsync();
                await s.ReceiveCommandAsync();
                await s.SendAsync([0x00, .. FakeEvent(15, 120)]);
                await s.SendErrorAsync(1236, "HY000", message);
            });
            var options = new BinlogClientOptions { ConnectionString = server.ConnectionString("SslMode=None"), ServerId = ServerId, HeartbeatInterval = TimeSpan.Zero };
            await using var client = await BinlogClient.ConnectAsync(options, CancellationToken.None);
            await client.StartAsync(BinlogStartPosition.FromMySqlGtidSet(CommandVectorTests.DumpGtidSet), CancellationToken.None);
            Assert.True(await client.ReadEventAsync(CancellationToken.None));
            var error = await Assert.ThrowsAsync(conflict ? typeof(BinlogServerIdConflictException) : typeof(MySqlServerException),
                async () => await client.ReadEventAsync(CancellationToken.None));
            var server_error = Assert.IsAssignableFrom<MySqlServerException>(error);
            Assert.Equal(1236, server_error.ErrorCode);
            Assert.Equal(message, server_error.ServerMessage);
            await server.CompletedAsync();
        }
    }

    [Fact]
    public async Task Start_positions_are_checked_against_the_flavor_and_validated()
    {
        await using var server = ScriptedServer.Start(async s =>
        {
            await LoginAsync(s);
            await QueryTextAsync(s);
            await s.SendSingleValueAsync("@@global.binlog_checksum", "CRC32");
            await QueryTextAsync(s);
            await s.SendOkAsync();
        });
        var options = new BinlogClientOptions { ConnectionString = server.ConnectionString("SslMode=None"), ServerId = 7, HeartbeatInterval = TimeSpan.Zero };
        await using var client = await BinlogClient.ConnectAsync(options, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.StartAsync(BinlogStartPosition.FromMariaDbGtid("0-1-5"), CancellationToken.None));
        Assert.Contains("MySQL needs a MySQL GTID set or a file position", error.Message);
        await server.CompletedAsync();

        Assert.Throws<ArgumentOutOfRangeException>(() => BinlogStartPosition.FromFile("binlog.000001", 3));
        Assert.Throws<ArgumentException>(() => BinlogStartPosition.FromFile(" ", 4));
        Assert.Contains("domain-server-sequence", Assert.Throws<ArgumentException>(() => BinlogStartPosition.FromMariaDbGtid("0-1-5'; DROP TABLE x; --")).Message);
        Assert.Throws<ArgumentException>(() => BinlogStartPosition.FromMySqlGtidSet(new byte[4]));
        Assert.Equal("0-1-5,1-2-3", BinlogStartPosition.FromMariaDbGtid(" 0-1-5, 1-2-3 ").MariaDbGtidPosition);
        Assert.Contains("ServerId", Assert.Throws<ArgumentException>(() => new BinlogClientOptions { ConnectionString = "x", ServerId = 0 }.Validate()).Message);
        Assert.Contains("ReadTimeout", Assert.Throws<ArgumentException>(() =>
            new BinlogClientOptions { ConnectionString = "x", ServerId = 1, HeartbeatInterval = TimeSpan.FromSeconds(5), ReadTimeout = TimeSpan.FromSeconds(2) }.Validate()).Message);
        Assert.Equal(TimeSpan.FromSeconds(15), new BinlogClientOptions { ConnectionString = "x", ServerId = 1, HeartbeatInterval = TimeSpan.FromSeconds(5) }.EffectiveReadTimeout);
    }

    private static async Task LoginAsync(ScriptedSession s)
    {
        await s.SendAsync(CachingSha2PasswordTests.Handshake(ssl: false));
        var response = CachingSha2PasswordTests.ReadHandshakeResponse(await s.ReceiveAsync(), ssl: false);
        Assert.Equal(CachingSha2PasswordTests.IndependentScramble, response);
        await s.SendAsync([0x01, 0x03]);
        await s.SendOkAsync();
    }

    private static async Task<string> QueryTextAsync(ScriptedSession s)
    {
        var command = await s.ReceiveCommandAsync();
        Assert.Equal(0x03, command[0]);
        return Encoding.UTF8.GetString(command, 1, command.Length - 1);
    }

    /// <summary>An event-shaped byte string: a v4 header whose size field is right, the rest filler.</summary>
    private static byte[] FakeEvent(byte type, int size)
    {
        var e = new byte[size];
        for (int i = 19; i < size; i++) e[i] = (byte)(i * 31 + type);
        BinaryPrimitives.WriteUInt32LittleEndian(e, 1_700_000_000);
        e[4] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(5), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(9), (uint)size);
        return e;
    }
}
