using System.Security.Authentication;
using MySqlConnector;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>Logins and simple commands of the protocol client against the shared MariaDB.</summary>
public class ConnectionTests
{
    [Fact]
    public async Task Logs_in_with_mysql_native_password_and_runs_queries()
    {
        var settings = ConnectionSettings.Parse(await ProtocolTestKit.SharedServerAsync() + ";SslMode=None");
        await using var connection = await ServerConnection.OpenAsync(settings, CancellationToken.None);
        Assert.Equal(ServerFlavor.MariaDb, connection.Flavor);
        Assert.Equal(AuthenticationPlugin.NativePassword, connection.AuthenticationPluginName);
        Assert.False(connection.IsTls);
        Assert.DoesNotContain("5.5.5-", connection.ServerVersion);
        Assert.Contains("MariaDB", connection.ServerVersion);

        var row = await connection.QueryRowAsync("SELECT CURRENT_USER(), CONNECTION_ID(), NULL, 'ü€'", CancellationToken.None);
        Assert.NotNull(row);
        Assert.StartsWith("relay@", row[0]);
        Assert.Equal(connection.ConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture), row[1]);
        Assert.Null(row[2]);
        Assert.Equal("ü€", row[3]);

        await connection.ExecuteAsync("SET @relay_probe = 42", CancellationToken.None);
        Assert.Equal("42", (await connection.QueryRowAsync("SELECT @relay_probe", CancellationToken.None))![0]);
        Assert.Null(await connection.QueryRowAsync("SELECT 1 FROM DUAL WHERE 1 = 0", CancellationToken.None));
        // Several rows: the first is kept, the rest drained so the next command lines up.
        Assert.Equal("1", (await connection.QueryRowAsync("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", CancellationToken.None))![0]);

        var error = await Assert.ThrowsAsync<MySqlServerException>(() => connection.ExecuteAsync("SET @@session.no_such_variable = 1", CancellationToken.None));
        Assert.Equal(1193, error.ErrorCode);
        Assert.Contains("no_such_variable", error.Message);
        // The session survives a statement error.
        Assert.Equal("2", (await connection.QueryRowAsync("SELECT 1 + 1", CancellationToken.None))![0]);
    }

    [Fact]
    public async Task Connects_with_a_default_database_over_the_unix_socket()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        var builder = new MySqlConnectionStringBuilder(db.ConnectionString) { Server = "/run/mysqld/mysqld.sock" };
        await using var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(builder.ConnectionString), CancellationToken.None);
        Assert.Equal(db.Name, (await connection.QueryRowAsync("SELECT DATABASE()", CancellationToken.None))![0]);
        Assert.Contains("localhost", (await connection.QueryRowAsync("SELECT CURRENT_USER()", CancellationToken.None))![0]);
    }

    [Fact]
    public async Task A_wrong_password_is_access_denied_and_the_password_appears_nowhere()
    {
        const string wrong = "Wr0ng-Passw0rd-7f3a";
        var cs = new MySqlConnectionStringBuilder(await ProtocolTestKit.SharedServerAsync()) { Password = wrong }.ConnectionString;
        var error = await Assert.ThrowsAsync<MySqlServerException>(() =>
            BinlogClient.ConnectAsync(ProtocolTestKit.Options(cs), CancellationToken.None));
        Assert.Equal(MySqlServerException.AccessDenied, error.ErrorCode);
        Assert.Contains("Access denied for user 'relay'", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.DoesNotContain(wrong, ConnectionSettings.Parse(cs).ToString());
    }

    [Fact]
    public async Task An_ed25519_user_logs_in_with_this_client_and_with_MySqlConnector()
    {
        string user = "relay_ed_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "Ed-Pässwörd-1";
        var admin = await TestServers.MySqlAsync();
        await Execute(admin, $"CREATE USER '{user}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('{password}')");
        try
        {
            await Execute(admin, $"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{user}'@'%'");
            var cs = new MySqlConnectionStringBuilder(admin) { UserID = user, Password = password, Database = "" }.ConnectionString;

            // MariaDB stores the Ed25519 public key (base64): the key this implementation derives must be the same.
            var stored = await Scalar(admin, $"SELECT authentication_string FROM mysql.user WHERE user = '{user}'");
            Assert.Equal(stored.TrimEnd('='), Convert.ToBase64String(Ed25519.PublicKey(System.Text.Encoding.UTF8.GetBytes(password))).TrimEnd('='));

            await using (var connection = await ServerConnection.OpenAsync(ConnectionSettings.Parse(cs), CancellationToken.None))
            {
                Assert.Equal(AuthenticationPlugin.ClientEd25519, connection.AuthenticationPluginName);
                Assert.StartsWith(user + "@", (await connection.QueryRowAsync("SELECT CURRENT_USER()", CancellationToken.None))![0]);
            }

            // The replication session itself, as the source will open it.
            await using (var client = await BinlogClient.ConnectAsync(ProtocolTestKit.Options(cs, nonBlocking: true), CancellationToken.None))
            {
                var (file, position) = await ProtocolTestKit.MasterStatusAsync(admin);
                await client.StartAsync(BinlogStartPosition.FromFile(file, position), CancellationToken.None);
                Assert.True(await client.ReadEventAsync(CancellationToken.None));
            }

            MySqlAuthentication.EnsureRegistered();
            MySqlAuthentication.EnsureRegistered();
            Assert.Equal(user + "@%", await Scalar(cs + ";Pooling=false", "SELECT CURRENT_USER()"));

            var wrong = new MySqlConnectionStringBuilder(cs) { Password = "not-it" }.ConnectionString;
            var denied = await Assert.ThrowsAsync<MySqlServerException>(() => ServerConnection.OpenAsync(ConnectionSettings.Parse(wrong), CancellationToken.None));
            Assert.Equal(MySqlServerException.AccessDenied, denied.ErrorCode);
            Assert.Contains(AuthenticationPlugin.ClientEd25519, denied.Message);
        }
        finally
        {
            await Execute(admin, $"DROP USER IF EXISTS '{user}'@'%'");
        }
    }

    [Fact]
    public async Task SslMode_Required_against_a_server_without_TLS_says_what_to_change()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = server.AdminConnectionString + ";SslMode=Required";
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => ServerConnection.OpenAsync(ConnectionSettings.Parse(cs), CancellationToken.None));
        Assert.Contains("does not offer TLS", error.Message);
        Assert.Contains("SslMode=Required", error.Message);
        // Preferred falls back to plaintext.
        await using var plain = await ServerConnection.OpenAsync(ConnectionSettings.Parse(server.AdminConnectionString + ";SslMode=Preferred"), CancellationToken.None);
        Assert.False(plain.IsTls);
    }

    [Fact]
    public async Task An_unreachable_server_fails_with_the_endpoint_and_a_closed_port_is_named()
    {
        var closed = "Server=127.0.0.1;Port=1;User ID=relay;Password=secret-xyz;ConnectionTimeout=5";
        var error = await Assert.ThrowsAsync<WireProtocolException>(() => ServerConnection.OpenAsync(ConnectionSettings.Parse(closed), CancellationToken.None));
        Assert.Contains("relay@127.0.0.1:1", error.Message);
        Assert.DoesNotContain("secret-xyz", error.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("User ID=relay;Password=Pw-Secret-9", "no Server")]
    [InlineData("Server=127.0.0.1;Password=Pw-Secret-9", "no User ID")]
    [InlineData("Server=a,b;User ID=relay;Password=Pw-Secret-9", "one server")]
    [InlineData("Server=127.0.0.1;User ID=relay;Password=Pw-Secret-9;UseCompression=true", "UseCompression")]
    [InlineData("Server=127.0.0.1;User ID=relay;Password=Pw-Secret-9;NoSuchKey=1", "nosuchkey")]
    [InlineData("Server=127.0.0.1;User ID=relay;Password=Pw-Secret-9;Port=abc", "not valid")]
    [InlineData("Server=127.0.0.1;User ID=relay;Password=Pw-Secret-9;SslMode=Sometimes", "not valid")]
    [InlineData("Server=127.0.0.1;User ID=relay;Password=Pw-Secret-9;Protocol=Pipe", "Protocol=")]
    public void Bad_connection_strings_are_rejected_with_the_fix_and_without_the_password(string cs, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => ConnectionSettings.Parse(cs));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Pw-Secret-9", error.ToString());
    }

    private static async Task Execute(string cs, string sql)
    {
        await using var conn = new MySqlConnection(cs);
        await conn.OpenAsync();
        await new MySqlCommand(sql, conn).ExecuteNonQueryAsync();
    }

    private static async Task<string> Scalar(string cs, string sql)
    {
        await using var conn = new MySqlConnection(cs);
        await conn.OpenAsync();
        return Convert.ToString(await new MySqlCommand(sql, conn).ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
