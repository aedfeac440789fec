using MySqlConnector;

namespace Relay.Testing;

/// <summary>A fresh MariaDB/MySQL database for one test, dropped afterwards. The binlog is server-wide: filter by <see cref="Name"/>.</summary>
public sealed class MySqlDatabase : OutboxDatabase
{
    private readonly string _admin;

    private MySqlDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public override string Engine => MySql;

    public override string Name { get; }

    /// <summary>The test role's connection string, with this database as the default schema.</summary>
    public override string ConnectionString { get; }

    /// <summary>The server's address and the test role, without a default database (as a binlog reader connects).</summary>
    public MySqlConnectionStringBuilder Server => new(_admin) { Database = "" };

    /// <summary>A database on the test MariaDB.</summary>
    public static async Task<MySqlDatabase> CreateAsync() => await CreateOnAsync(await TestServers.MySqlAsync());

    /// <summary>A database on the server <paramref name="admin"/> names (a MySQL 8, say).</summary>
    public static async Task<MySqlDatabase> CreateOnAsync(string admin)
    {
        var name = "relay_t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new MySqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand($"CREATE DATABASE {name} CHARACTER SET utf8mb4", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new MySqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
        return new MySqlDatabase(admin, name, cs);
    }

    public override async Task ExecuteAsync(string sql)
    {
        await using var conn = new MySqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new MySqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The Debezium-style outbox table for MySQL/MariaDB, with the optional traceparent and polling order columns.</summary>
    public override Task CreateOutboxAsync(string table = "outbox") => ExecuteAsync($"""
        CREATE TABLE {table} (
          id CHAR(36) NOT NULL PRIMARY KEY DEFAULT (UUID()),
          seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
          aggregatetype VARCHAR(255) NOT NULL,
          aggregateid VARCHAR(255) NOT NULL,
          type VARCHAR(255) NOT NULL,
          payload JSON,
          traceparent VARCHAR(55)
        ) ENGINE=InnoDB
        """);

    public override async Task<System.Data.Common.DbConnection> OpenAsync()
    {
        var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public override Task<long> CountAsync(string where = "1 = 1", string table = "outbox") => ScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where}");

    public override async ValueTask DisposeAsync()
    {
        MySqlConnection.ClearAllPools();
        await using var conn = new MySqlConnection(_admin);
        await conn.OpenAsync();
        await using var drop = new MySqlCommand($"DROP DATABASE IF EXISTS {Name}", conn);
        await drop.ExecuteNonQueryAsync();
    }
}
