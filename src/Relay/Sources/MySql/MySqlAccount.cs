using MySqlConnector;

namespace Relay.Sources.MySql;

/// <summary>The account a MySQL/MariaDB session runs as, written as GRANT statements and information_schema name it: 'user'@'host'.</summary>
internal static class MySqlAccount
{
    /// <summary>The account the server matched the login to (CURRENT_USER()).</summary>
    public static async Task<string> CurrentAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("SELECT CURRENT_USER()", connection);
        var account = (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        var at = account.LastIndexOf('@');
        return at < 0 ? Quote(account, "%") : Quote(account[..at], account[(at + 1)..]);
    }

    /// <summary>The account a connection string logs in as, from any host: the host part is the DBA's to choose.</summary>
    public static string Of(string connectionString) => Quote(new MySqlConnectionStringBuilder(connectionString).UserID, "%");

    private static string Quote(string user, string host) => $"'{user.Replace("'", "''")}'@'{host.Replace("'", "''")}'";
}
