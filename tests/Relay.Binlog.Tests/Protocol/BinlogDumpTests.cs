using MySqlConnector;
using Relay.Binlog.Protocol;
using Xunit.Abstractions;
using static Relay.Binlog.Tests.Protocol.ProtocolTestKit;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>Replication against the shared MariaDB: other tests write to it at the same time, so events are matched by unique markers.</summary>
public class BinlogDumpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Dump_from_a_file_position_sends_the_format_description_then_an_insert_as_gtid_table_map_write_rows_xid()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(64))");
        var server = await SharedServerAsync();
        var (file, position) = await MasterStatusAsync(server);

        await using var client = await BinlogClient.ConnectAsync(Options(server), CancellationToken.None);
        Assert.Equal(ServerFlavor.MariaDb, client.Flavor);
        Assert.Equal("CRC32", client.ServerChecksum);
        // The replication session answers queries until the dump starts.
        var gtidAtStart = (await client.QueryRowAsync($"SELECT BINLOG_GTID_POS('{file}', {position})", CancellationToken.None))![0];
        Assert.Matches(@"^(\d+-\d+-\d+(,|$))*$", gtidAtStart);
        await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);

        var marker = "dump-" + Guid.NewGuid().ToString("N");
        await db.ExecuteAsync($"INSERT INTO t VALUES (1, '{marker}')");

        var events = await ReadUntilAsync(client, e => RawEvent.Type(e) == RawEvent.WriteRowsV1 && RawEvent.Contains(e, marker), TimeSpan.FromSeconds(30));
        // The dump opens with a fake ROTATE naming the file, then the file's FORMAT_DESCRIPTION.
        Assert.Equal(RawEvent.Rotate, RawEvent.Type(events[0]));
        Assert.True(RawEvent.Contains(events[0], file));
        Assert.Contains(events, e => RawEvent.Type(e) == RawEvent.FormatDescription);
        int rows = events.Count - 1;
        Assert.Equal(RawEvent.TableMap, RawEvent.Type(events[rows - 1]));
        Assert.True(RawEvent.Contains(events[rows - 1], db.Name));
        Assert.Equal(RawEvent.MariaDbGtid, RawEvent.Type(events[rows - 2]));
        Assert.True(RawEvent.LogPosition(events[rows]) > position);

        var tail = await ReadUntilAsync(client, _ => true, TimeSpan.FromSeconds(30));
        Assert.Equal(RawEvent.Xid, RawEvent.Type(tail[0]));
        Assert.Equal(19 + 8 + 4, tail[0].Length); // header, xid, CRC32
        Assert.All(events.Append(tail[0]), e => Assert.True(Crc32.EventChecksumMatches(e)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.QueryRowAsync("SELECT 1", CancellationToken.None));
    }

    [Fact]
    public async Task MariaDb_gtid_start_resumes_after_the_given_gtid()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(64))");
        var before = "before-" + Guid.NewGuid().ToString("N");
        var after = "after-" + Guid.NewGuid().ToString("N");
        string gtid;
        await using (var conn = new MySqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await new MySqlCommand($"INSERT INTO t VALUES (1, '{before}')", conn).ExecuteNonQueryAsync();
            gtid = (string)(await new MySqlCommand("SELECT @@last_gtid", conn).ExecuteScalarAsync())!;
            await new MySqlCommand($"INSERT INTO t VALUES (2, '{after}')", conn).ExecuteNonQueryAsync();
        }
        Assert.Matches(@"^\d+-\d+-\d+$", gtid);

        var server = await SharedServerAsync();
        var options = Options(server);
        await using var client = await BinlogClient.ConnectAsync(new BinlogClientOptions
        {
            ConnectionString = options.ConnectionString,
            ServerId = options.ServerId,
            GtidStrictMode = true,
        }, CancellationToken.None);
        await client.StartAsync(BinlogStartPosition.FromMariaDbGtid(gtid), CancellationToken.None);
        var events = await ReadUntilAsync(client, e => RawEvent.Contains(e, after), TimeSpan.FromSeconds(30));

        Assert.DoesNotContain(events, e => RawEvent.Contains(e, before));
        Assert.Equal(RawEvent.WriteRowsV1, RawEvent.Type(events[^1]));
        // A GTID start sends the GTID_LIST of the file first, then transactions after the given GTID.
        Assert.Contains(events, e => RawEvent.Type(e) == RawEvent.MariaDbGtidList);
        Assert.Contains(events, e => RawEvent.Type(e) == RawEvent.MariaDbGtid);
    }

    [Fact]
    public async Task Annotate_rows_events_come_only_when_asked_for_and_the_replica_is_listed_with_its_report_host()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(64))");
        var server = await SharedServerAsync();
        var (file, position) = await MasterStatusAsync(server);
        uint serverId = RandomServerId();
        await using var annotated = await BinlogClient.ConnectAsync(new BinlogClientOptions
        {
            ConnectionString = server,
            ServerId = serverId,
            SendAnnotateRows = true,
            ReportHost = "relay-test-host",
        }, CancellationToken.None);
        await annotated.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        await using var plain = await BinlogClient.ConnectAsync(Options(server), CancellationToken.None);
        await plain.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);

        var marker = "annotate-" + Guid.NewGuid().ToString("N");
        await db.ExecuteAsync($"INSERT INTO t VALUES (1, '{marker}')");
        var withAnnotations = await ReadUntilAsync(annotated, e => RawEvent.Type(e) == RawEvent.WriteRowsV1 && RawEvent.Contains(e, marker), TimeSpan.FromSeconds(30));
        var statement = Assert.Single(withAnnotations, e => RawEvent.Type(e) == RawEvent.MariaDbAnnotateRows && RawEvent.Contains(e, marker));
        Assert.True(RawEvent.Contains(statement, "INSERT INTO t VALUES"));
        var without = await ReadUntilAsync(plain, e => RawEvent.Type(e) == RawEvent.WriteRowsV1 && RawEvent.Contains(e, marker), TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(without, e => RawEvent.Type(e) == RawEvent.MariaDbAnnotateRows);

        await using var conn = new MySqlConnection(server);
        await conn.OpenAsync();
        await using var hosts = await new MySqlCommand("SHOW SLAVE HOSTS", conn).ExecuteReaderAsync();
        var listed = new List<(long Id, string Host)>();
        while (await hosts.ReadAsync()) listed.Add((Convert.ToInt64(hosts.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), hosts.GetString(1)));
        Assert.Contains((serverId, "relay-test-host"), listed);
    }

    [Fact]
    public async Task A_user_without_REPLICATION_SLAVE_is_refused_at_registration_with_the_privilege_named()
    {
        string user = "relay_norepl_" + Guid.NewGuid().ToString("N")[..8];
        var admin = await TestServers.MySqlAsync();
        await using (var conn = new MySqlConnection(admin))
        {
            await conn.OpenAsync();
            await new MySqlCommand($"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'", conn).ExecuteNonQueryAsync();
        }
        try
        {
            var cs = new MySqlConnectionStringBuilder(admin) { UserID = user, Password = "pw-" + user, Database = "" }.ConnectionString;
            await using var client = await BinlogClient.ConnectAsync(Options(cs), CancellationToken.None);
            var error = await Assert.ThrowsAsync<MySqlServerException>(() => client.StartAsync(BinlogStartPosition.FromFile("mysql-bin.000001", 4), CancellationToken.None));
            output.WriteLine(error.Message);
            // MariaDB says 1045 "Access denied for user" (MySQL 1227); the client names the missing privilege.
            Assert.Equal(MySqlServerException.AccessDenied, error.ErrorCode);
            Assert.Contains("registering as replica", error.Message);
            Assert.Contains("needs the REPLICATION SLAVE privilege", error.Message);
        }
        finally
        {
            await using var conn = new MySqlConnection(admin);
            await conn.OpenAsync();
            await new MySqlCommand($"DROP USER IF EXISTS '{user}'@'%'", conn).ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_missing_binlog_file_is_error_1236_with_the_server_text()
    {
        var server = await SharedServerAsync();
        await using var client = await BinlogClient.ConnectAsync(Options(server), CancellationToken.None);
        await client.StartAsync(BinlogStartPosition.FromFile("mysql-bin.999999", 4), CancellationToken.None);
        var error = await Assert.ThrowsAsync<MySqlServerException>(async () => await ReadUntilAsync(client, _ => false, TimeSpan.FromSeconds(30)));
        Assert.Equal(1236, error.ErrorCode);
        output.WriteLine(error.Message);
        Assert.Contains("Could not find first log file name in binary log index file", error.ServerMessage);
        Assert.Contains("1236", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.ReadEventAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_gtid_the_server_never_wrote_is_error_1236_with_the_server_text()
    {
        var server = await SharedServerAsync();
        await using var client = await BinlogClient.ConnectAsync(Options(server) , CancellationToken.None);
        // Domain 0 exists; sequence 10^15 is far beyond what the server has written.
        await client.StartAsync(BinlogStartPosition.FromMariaDbGtid("0-1-1000000000000000"), CancellationToken.None);
        var error = await Assert.ThrowsAsync<MySqlServerException>(async () => await ReadUntilAsync(client, _ => false, TimeSpan.FromSeconds(30)));
        Assert.Equal(1236, error.ErrorCode);
        output.WriteLine(error.Message);
        Assert.Contains("0-1-1000000000000000", error.ServerMessage);
    }

    [Fact]
    public async Task A_second_client_with_the_same_server_id_ends_the_first_with_the_distinct_error()
    {
        var server = await SharedServerAsync();
        uint serverId = RandomServerId();
        var (file, position) = await MasterStatusAsync(server);
        await using var first = await BinlogClient.ConnectAsync(Options(server, serverId: serverId), CancellationToken.None);
        await first.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        await ReadUntilAsync(first, e => RawEvent.Type(e) == RawEvent.FormatDescription, TimeSpan.FromSeconds(30));

        await using var second = await BinlogClient.ConnectAsync(Options(server, serverId: serverId), CancellationToken.None);
        await second.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
        await ReadUntilAsync(second, e => RawEvent.Type(e) == RawEvent.FormatDescription, TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<BinlogServerIdConflictException>(async () => await ReadUntilAsync(first, _ => false, TimeSpan.FromSeconds(30)));
        output.WriteLine(error.Message);
        Assert.Equal(serverId, error.ServerId);
        Assert.Contains(serverId.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public async Task A_non_blocking_dump_ends_at_the_end_of_the_binlog()
    {
        var server = await SharedServerAsync();
        var (file, _) = await MasterStatusAsync(server);
        await using var client = await BinlogClient.ConnectAsync(Options(server, nonBlocking: true), CancellationToken.None);
        await client.StartAsync(BinlogStartPosition.FromFile(file, 4), CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int count = 0;
        while (await client.ReadEventAsync(cts.Token)) count++;
        Assert.True(count >= 2);
        Assert.False(await client.ReadEventAsync(cts.Token));
    }
}
