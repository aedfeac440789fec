using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Relay.Sources.MySql.Binlog;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// Builds binlog sources the way the host does, each with a server id of its own (tests share the server) and, unless
/// named, a source name of its own: the lease's GET_LOCK name comes from it and is server-wide, so one name for all would
/// make test classes running in parallel wait on each other.
/// </summary>
internal static class BinlogTestKit
{
    private static int _serverId = Random.Shared.Next(10_000, 1_000_000_000);

    public static SourceContext Context(string connectionString, IDictionary<string, string?>? settings = null, string? name = null)
    {
        name ??= "binlog" + Interlocked.Increment(ref _serverId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var prefix = $"Relay:Sources:{name}:";
        var values = new Dictionary<string, string?>
        {
            [prefix + "Kind"] = MySqlBinlogSourceFactory.KindName,
            [prefix + "ConnectionString"] = connectionString,
            [prefix + "ServerId"] = Interlocked.Increment(ref _serverId).ToString(System.Globalization.CultureInfo.InvariantCulture),
            [prefix + "HeartbeatInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[prefix + key] = value;
        return RelayServices.Source(values, name);
    }

    public static IOutboxSource Create(string connectionString, IDictionary<string, string?>? settings = null, string? name = null)
    {
        var context = Context(connectionString, settings, name);
        return context.Services.GetRequiredService<MySqlBinlogSourceFactory>().Create(context);
    }

    /// <summary>A source that streams in the background; on a first start its first idle batch is the starting position, awaited here.</summary>
    public static async Task<SourceReader> StartAsync(
        string connectionString, IDictionary<string, string?>? settings = null, SourcePosition? committed = null, string name = "orders")
    {
        var source = Create(connectionString, settings, name);
        await source.AcquireAsync(CancellationToken.None).WaitAsync(SourceReader.Wait);
        var reader = new SourceReader(source, committed);
        if (committed is null) await reader.NextIdleAsync(_ => true); // the start, committed at once
        return reader;
    }

    public static BinlogPosition Position(SourceBatch batch)
    {
        Assert.True(BinlogPosition.TryParse(batch.Position.Value, out var position), batch.Position.Value);
        return position;
    }

    public static Task InsertAsync(MySqlDatabase db, int count, string aggregateId = "a", string table = "outbox") =>
        db.ExecuteAsync($"INSERT INTO {table} (aggregatetype, aggregateid, type, payload) VALUES " +
                        string.Join(", ", Enumerable.Range(1, count).Select(i => $"('order', '{aggregateId}{i}', 'Created', '{{\"n\": {i}}}')")));

    public static string Text(OutboxRow row, string column) => Assert.IsType<string>(row[column]);

    /// <summary>A database with the outbox on a private server, and its connection string.</summary>
    public static async Task<string> PrepareAsync(MariaDbInstance server, string database = "shop")
    {
        await server.ExecuteAsync($"CREATE DATABASE {database}; " + $"""
            CREATE TABLE {database}.outbox (
              id CHAR(36) NOT NULL PRIMARY KEY DEFAULT (UUID()), seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
              aggregatetype VARCHAR(255) NOT NULL, aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL,
              payload JSON, traceparent VARCHAR(55)) ENGINE=InnoDB
            """);
        return new MySqlConnectionStringBuilder(server.AdminConnectionString) { Database = database }.ConnectionString;
    }

    public static async Task InsertAsync(string connectionString, int count, string aggregateId = "a")
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES " +
            string.Join(", ", Enumerable.Range(1, count).Select(i => $"('order', '{aggregateId}{i}', 'Created', '{{\"n\": {i}}}')")), conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
