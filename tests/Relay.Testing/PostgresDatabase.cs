using Npgsql;
using Xunit;

namespace Relay.Testing;

/// <summary>A fresh database for one test, dropped (with its replication slots) afterwards.</summary>
public sealed class PostgresDatabase : OutboxDatabase
{
    private readonly string _admin;

    private PostgresDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public override string Engine => Postgres;
    public override string Name { get; }
    public override string ConnectionString { get; }

    /// <summary>A database on the shared test PostgreSQL.</summary>
    public static async Task<PostgresDatabase> CreateAsync() => await CreateOnAsync(await TestServers.PostgresAsync());

    /// <summary>A database on the server <paramref name="admin"/> names (a private <see cref="PostgresInstance"/>, say).</summary>
    public static async Task<PostgresDatabase> CreateOnAsync(string admin)
    {
        var name = "relay_t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
        return new PostgresDatabase(admin, name, cs);
    }

    public override async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Waits until the slot is in use and has reached its consistent point. Rows committed before that
    /// point are never streamed, and "active" alone does not say the slot got there: the backend creating
    /// it holds it too while it waits for the transactions running cluster-wide to end, and only then
    /// sets confirmed_flush_lsn. (pg_stat_replication.state would say it too, but only to privileged roles.)
    /// </summary>
    public async Task WaitForSlotStreamingAsync(string slot, Func<string?>? stoppedBecause = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await ScalarAsync<long>(
                   $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND active AND confirmed_flush_lsn IS NOT NULL") != 1)
        {
            if (stoppedBecause?.Invoke() is { } reason) Assert.Fail($"Slot {slot} will not stream: {reason}");
            Assert.True(DateTime.UtcNow < deadline, $"Slot {slot} was not ready within 60 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>The Debezium-style outbox table, with the optional traceparent and polling order columns.</summary>
    public override Task CreateOutboxAsync(string table = "outbox") => ExecuteAsync($"""
        CREATE TABLE {table} (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          seq bigint GENERATED ALWAYS AS IDENTITY,
          aggregatetype text NOT NULL,
          aggregateid text NOT NULL,
          type text NOT NULL,
          payload jsonb,
          traceparent text
        );
        CREATE INDEX ON {table} (seq);
        """);

    public override async Task<System.Data.Common.DbConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public override Task<long> CountAsync(string where = "1 = 1", string table = "outbox") => ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {where}");

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(_admin);
        await conn.OpenAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using (var slots = new NpgsqlCommand(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = @db AND NOT active", conn))
                {
                    slots.Parameters.AddWithValue("db", Name);
                    await slots.ExecuteNonQueryAsync();
                }
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", conn);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException) when (attempt < 20)
            {
                await Task.Delay(250); // a replication slot is still held by a closing walsender
            }
        }
    }
}
