using System.Data.Common;
using Xunit;

namespace Relay.Testing;

/// <summary>
/// A fresh database of either engine for one test, for behaviour that must hold on every database (the shared
/// polling and log-tailing parts): what differs between engines lives in the two implementations only.
/// </summary>
public abstract class OutboxDatabase : IAsyncDisposable
{
    public const string Postgres = "Postgres";
    public const string MySql = "MySql";

    /// <summary>Both engines, for [Theory, MemberData(nameof(OutboxDatabase.Engines), MemberType = typeof(OutboxDatabase))].</summary>
    public static TheoryData<string> Engines => [Postgres, MySql];

    public static async Task<OutboxDatabase> CreateAsync(string engine) => engine switch
    {
        Postgres => await PostgresDatabase.CreateAsync(),
        MySql => await MySqlDatabase.CreateAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, null),
    };

    public abstract string Engine { get; }
    public abstract string Name { get; }
    public abstract string ConnectionString { get; }

    /// <summary>The polling source kind for this engine.</summary>
    public string PollingKind => Engine == Postgres ? "PostgresPolling" : "MySqlPolling";

    /// <summary>How this engine's poller starts its positions.</summary>
    public string PollingPrefix => Engine == Postgres ? "pgpoll:" : "mysqlpoll:";

    /// <summary>The nullable timestamp type of a mark column.</summary>
    public string TimestampType => Engine == Postgres ? "timestamptz" : "DATETIME(6)";

    /// <summary>The Debezium-style outbox: id, seq (the order column), aggregatetype, aggregateid, type, payload (JSON), traceparent.</summary>
    public abstract Task CreateOutboxAsync(string table = "outbox");

    public abstract Task ExecuteAsync(string sql);

    public abstract Task<DbConnection> OpenAsync();

    public abstract Task<long> CountAsync(string where = "1 = 1", string table = "outbox");

    /// <summary>An event whose payload is {"n": n}.</summary>
    public Task InsertAsync(string aggregateId, int n, string table = "outbox") => ExecuteAsync(
        $"INSERT INTO {table} (aggregatetype, aggregateid, type, payload) VALUES ('order', '{aggregateId}', 'OrderCreated', '{{\"n\": {n}}}')");

    /// <summary>Runs <paramref name="sql"/> in a transaction left open on a session of its own, until the returned handle commits or disposes it.</summary>
    public async Task<OpenTransaction> BeginAsync(string sql)
    {
        var connection = await OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = transaction;
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync();
        }
        return new OpenTransaction(connection, transaction);
    }

    public abstract ValueTask DisposeAsync();
}

/// <summary>A transaction a test holds open on its own session.</summary>
public sealed class OpenTransaction(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    public Task CommitAsync() => transaction.CommitAsync();

    public Task RollbackAsync() => transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
