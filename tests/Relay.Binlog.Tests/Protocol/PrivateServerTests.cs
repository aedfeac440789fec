using System.Security.Authentication;
using MySqlConnector;
using Relay.Binlog.Protocol;
using Xunit.Abstractions;
using static Relay.Binlog.Tests.Protocol.ProtocolTestKit;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>A private MariaDB with TLS (a throwaway CA), quiet (for heartbeats) and purgeable, shared by the tests of one class.</summary>
public sealed class TlsMariaDbFixture : IAsyncLifetime
{
    public TestCertificates Certificates { get; } = TestCertificates.Create("db.relay.test");

    public MariaDbInstance Server { get; private set; } = null!;

    /// <summary>The test role (native password) with TLS settings appended by each test.</summary>
    public string ConnectionString => $"Server=127.0.0.1;Port={Server.Port};User ID=relay;Password=relay-tls;ConnectionTimeout=15";

    public async Task InitializeAsync()
    {
        Server = await MariaDbInstance.StartAsync(
            $"--ssl-cert={Certificates.ServerCertFile}", $"--ssl-key={Certificates.ServerKeyFile}", $"--ssl-ca={Certificates.CaFile}");
        await Server.ExecuteAsync("""
            CREATE USER 'relay'@'%' IDENTIFIED BY 'relay-tls';
            GRANT ALL PRIVILEGES ON *.* TO 'relay'@'%';
            CREATE DATABASE relay_t;
            CREATE TABLE relay_t.blobs (id INT PRIMARY KEY, data LONGBLOB);
            CREATE TABLE relay_t.notes (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64));
            """);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Certificates.Dispose();
    }
}

public class PrivateServerTests(TlsMariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<TlsMariaDbFixture>
{
    [Theory]
    [InlineData("SslMode=Required")]
    [InlineData("SslMode=Preferred")]
    [InlineData("SslMode=VerifyCA;SslCa={ca}")]
    [InlineData("SslMode=VerifyFull;SslCa={ca}")]
    public async Task Logs_in_over_TLS_in_each_SslMode(string tls)
    {
        var cs = fixture.ConnectionString + ";" + tls.Replace("{ca}", fixture.Certificates.CaFile, StringComparison.Ordinal);
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(cs), CancellationToken.None);
        Assert.True(connection.IsTls);
        var cipher = (await connection.QueryRowAsync("SHOW STATUS LIKE 'Ssl_cipher'", CancellationToken.None))![1];
        Assert.False(string.IsNullOrEmpty(cipher), "the server reports no TLS cipher for this session");
    }

    [Fact]
    public async Task VerifyCA_refuses_a_certificate_from_another_CA_and_VerifyFull_a_name_it_does_not_list()
    {
        using var other = TestCertificates.Create();
        var wrongCa = fixture.ConnectionString + $";SslMode=VerifyCA;SslCa={other.CaFile}";
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => ServerConnection.OpenAsync(ConnectionSettings.Parse(wrongCa), CancellationToken.None));
        output.WriteLine(error.Message);
        Assert.Contains("not signed by a CA in SslCa", error.Message);
        Assert.Contains(other.CaFile, error.Message);

        // The certificate lists 127.0.0.1 and db.relay.test, not localhost.
        var byName = new MySqlConnectionStringBuilder(fixture.ConnectionString) { Server = "localhost", SslCa = fixture.Certificates.CaFile };
        byName.SslMode = MySqlSslMode.VerifyFull;
        error = await Assert.ThrowsAsync<AuthenticationException>(() => ServerConnection.OpenAsync(ConnectionSettings.Parse(byName.ConnectionString), CancellationToken.None));
        output.WriteLine(error.Message);
        Assert.Contains("not issued for 'localhost'", error.Message);
        byName.SslMode = MySqlSslMode.VerifyCA;
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(byName.ConnectionString), CancellationToken.None);
        Assert.True(connection.IsTls);

        // Without SslCa the system roots decide, and they do not know the throwaway CA.
        error = await Assert.ThrowsAsync<AuthenticationException>(() =>
            ServerConnection.OpenAsync(ConnectionSettings.Parse(fixture.ConnectionString + ";SslMode=VerifyCA"), CancellationToken.None));
        Assert.Contains("SslCa=", error.Message);
    }

    [Fact]
    public async Task A_row_over_16_MB_arrives_as_one_intact_event_over_TLS()
    {
        var cs = fixture.ConnectionString + $";SslMode=VerifyCA;SslCa={fixture.Certificates.CaFile}";
        var (file, position) = await MasterStatusAsync(fixture.Server.AdminConnectionString);
        await using var client = await BinlogClient.ConnectAsync(Options(cs), CancellationToken.None);
        Assert.True(client.IsTls);
        await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);

        var blob = new byte[20 * 1024 * 1024 + 12345];
        new Random(7).NextBytes(blob);
        int id = Random.Shared.Next();
        await using (var conn = new MySqlConnection(fixture.Server.AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var insert = new MySqlCommand("INSERT INTO relay_t.blobs VALUES (@id, @data)", conn);
            insert.Parameters.AddWithValue("@id", id);
            insert.Parameters.AddWithValue("@data", blob);
            await insert.ExecuteNonQueryAsync();
        }

        var events = await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.WriteRowsV1, TimeSpan.FromSeconds(60));
        var rows = events[^1];
        Assert.True(rows.Length > PacketStream.MaxPayloadLength, $"the event is {rows.Length} bytes, not over 16 MB");
        Assert.Equal(RawEvent.Size(rows), (uint)rows.Length);
        Assert.True(Crc32.EventChecksumMatches(rows), "the joined event's CRC32 does not match");
        Assert.True(rows.AsSpan(0, rows.Length - 4).EndsWith(blob), "the row image does not end with the blob");
        Assert.All(events, e => Assert.True(Crc32.EventChecksumMatches(e)));

        // The stream goes on normally after the big event.
        var xid = await ReadUntilAsync(client, _ => true, TimeSpan.FromSeconds(30));
        Assert.Equal(RawEvent.Xid, RawEvent.Type(xid[0]));
        Assert.Equal(19 + 8 + 4, xid[0].Length); // header, xid, CRC32
    }

    [Fact]
    public async Task Heartbeats_arrive_while_the_binlog_is_idle()
    {
        var (file, position) = await MasterStatusAsync(fixture.Server.AdminConnectionString);
        await using var client = await BinlogClient.ConnectAsync(Options(fixture.ConnectionString + ";SslMode=None", heartbeat: TimeSpan.FromMilliseconds(300)), CancellationToken.None);
        await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        var started = DateTime.UtcNow;
        int heartbeats = 0;
        // Read timeout is 3 × 300 ms: three heartbeats in a row prove they keep the idle stream alive.
        await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.Heartbeat && ++heartbeats == 3, TimeSpan.FromSeconds(20));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(500), "three heartbeats 300 ms apart came at once");
    }

    /// <summary>
    /// Purges the logs before <paramref name="newFile"/> until <paramref name="oldFile"/> is gone. The server skips a file
    /// a dump thread still reads, and the dump threads of this class's earlier tests outlive their clients until the
    /// server next writes to them: those are ended first.
    /// </summary>
    private static async Task PurgeAsync(MariaDbInstance server, string oldFile, string newFile)
    {
        await using var conn = new MySqlConnection(server.AdminConnectionString);
        await conn.OpenAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            foreach (var id in await server.DumpThreadsAsync())
            {
                try { await new MySqlCommand($"KILL CONNECTION {id}", conn).ExecuteNonQueryAsync(); }
                catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchThread) { }
            }
            await new MySqlCommand($"PURGE BINARY LOGS TO '{newFile}'", conn).ExecuteNonQueryAsync();
            var files = new List<string>();
            await using (var reader = await new MySqlCommand("SHOW BINARY LOGS", conn).ExecuteReaderAsync())
                while (await reader.ReadAsync()) files.Add(reader.GetString(0));
            if (!files.Contains(oldFile)) return;
            Assert.True(DateTime.UtcNow < deadline, $"PURGE BINARY LOGS TO '{newFile}' left {oldFile} for 30 s: {string.Join(", ", files)}");
        }
    }

    [Fact]
    public async Task Purged_binlogs_give_error_1236_for_the_file_and_for_a_gtid_in_them()
    {
        var admin = fixture.Server.AdminConnectionString;
        string oldGtid;
        await using (var conn = new MySqlConnection(admin))
        {
            await conn.OpenAsync();
            await new MySqlCommand("INSERT INTO relay_t.notes (note) VALUES ('old-1')", conn).ExecuteNonQueryAsync();
            oldGtid = (string)(await new MySqlCommand("SELECT @@last_gtid", conn).ExecuteScalarAsync())!;
            await new MySqlCommand("INSERT INTO relay_t.notes (note) VALUES ('old-2')", conn).ExecuteNonQueryAsync();
        }
        var (oldFile, _) = await MasterStatusAsync(admin);
        await fixture.Server.ExecuteAsync("FLUSH BINARY LOGS");
        await fixture.Server.ExecuteAsync("INSERT INTO relay_t.notes (note) VALUES ('new')");
        var (newFile, _) = await MasterStatusAsync(admin);
        await PurgeAsync(fixture.Server, oldFile, newFile);

        await using (var client = await BinlogClient.ConnectAsync(Options(fixture.ConnectionString), CancellationToken.None))
        {
            await client.StartAsync(BinlogStartPosition.FromFile(oldFile, 4), CancellationToken.None);
            var error = await Assert.ThrowsAsync<MySqlServerException>(async () => await ReadUntilAsync(client, _ => false, TimeSpan.FromSeconds(30)));
            output.WriteLine(error.Message);
            Assert.Equal(1236, error.ErrorCode);
            Assert.Contains("Could not find first log file name", error.ServerMessage);
        }
        await using (var client = await BinlogClient.ConnectAsync(Options(fixture.ConnectionString), CancellationToken.None))
        {
            await client.StartAsync(BinlogStartPosition.FromMariaDbGtid(oldGtid), CancellationToken.None);
            var error = await Assert.ThrowsAsync<MySqlServerException>(async () => await ReadUntilAsync(client, _ => false, TimeSpan.FromSeconds(30)));
            output.WriteLine(error.Message);
            Assert.Equal(1236, error.ErrorCode);
            Assert.Contains("Could not find GTID state requested by slave in any binlog files", error.ServerMessage);
        }
    }
}
