using MySqlConnector;

namespace Relay.Bench.Infrastructure;

/// <summary>MariaDB/MySQL outbox tables in database relay_bench; rows come from MariaDB's sequence engine.</summary>
public sealed class MySqlOutbox : OutboxDatabase
{
    private readonly string _connectionString;
    private static int _nextServerId = 700_000 + Random.Shared.Next(100_000);

    private MySqlOutbox(string connectionString) => _connectionString = connectionString;

    public string ConnectionString => _connectionString;

    public static async Task<MySqlOutbox> OpenAsync(string admin)
    {
        var builder = new MySqlConnectionStringBuilder(admin) { AllowUserVariables = true, Database = "" };
        await using (var connection = new MySqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await Execute(connection, $"CREATE DATABASE IF NOT EXISTS {DatabaseName}");
        }
        builder.Database = DatabaseName;
        var outbox = new MySqlOutbox(builder.ConnectionString);
        await using (var connection = await outbox.OpenAsync())
        {
            await Execute(connection, "DROP PROCEDURE IF EXISTS bench_fill");
            await Execute(connection, """
                CREATE PROCEDURE bench_fill(IN tbl VARCHAR(64), IN total INT, IN per_txn INT, IN pad INT)
                BEGIN
                  DECLARE i INT DEFAULT 0;
                  SET @bench_sql = CONCAT('INSERT INTO ', tbl, ' (aggregatetype, aggregateid, type, payload) ',
                    'SELECT ''order'', seq % 1000, ''Created'', JSON_OBJECT(''n'', seq, ''pad'', REPEAT(''x'', ?)) ',
                    'FROM seq_0_to_99999999 WHERE seq BETWEEN ? AND ?');
                  PREPARE bench_stmt FROM @bench_sql;
                  WHILE i < total DO
                    SET @bench_pad = pad, @bench_a = i, @bench_b = LEAST(i + per_txn, total) - 1;
                    START TRANSACTION;
                    EXECUTE bench_stmt USING @bench_pad, @bench_a, @bench_b;
                    COMMIT;
                    SET i = i + per_txn;
                  END WHILE;
                  DEALLOCATE PREPARE bench_stmt;
                END
                """);
        }
        return outbox;
    }

    public override async Task PrepareAsync(string run)
    {
        var table = Table(run);
        await using var connection = await OpenAsync();
        await Execute(connection, $"DROP TABLE IF EXISTS {table}");
        await Execute(connection, $"""
            CREATE TABLE {table} (
              id CHAR(36) NOT NULL PRIMARY KEY DEFAULT (UUID()),
              aggregatetype VARCHAR(255) NOT NULL, aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL,
              payload JSON, traceparent VARCHAR(55),
              seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE) ENGINE=InnoDB
            """);
    }

    /// <summary>
    /// Fills with the redo log flushed once a second rather than at each commit (innodb_flush_log_at_trx_commit=2, put back
    /// after): the binlog is the same, and a fill of 200k single-row transactions takes seconds instead of minutes.
    /// </summary>
    public override async Task FillAsync(string run, int rows, int rowsPerTransaction, int payloadBytes)
    {
        await using var connection = await OpenAsync();
        await using var get = new MySqlCommand("SELECT @@global.innodb_flush_log_at_trx_commit", connection);
        var flush = Convert.ToInt32(await get.ExecuteScalarAsync());
        await Execute(connection, "SET GLOBAL innodb_flush_log_at_trx_commit = 2");
        try
        {
            await using var call = new MySqlCommand("CALL bench_fill(@table, @total, @perTxn, @pad)", connection) { CommandTimeout = 0 };
            call.Parameters.AddWithValue("@table", Table(run));
            call.Parameters.AddWithValue("@total", rows);
            call.Parameters.AddWithValue("@perTxn", rowsPerTransaction);
            call.Parameters.AddWithValue("@pad", Pad(payloadBytes));
            await call.ExecuteNonQueryAsync();
        }
        finally
        {
            await Execute(connection, $"SET GLOBAL innodb_flush_log_at_trx_commit = {flush}");
        }
    }

    /// <summary>JSON_OBJECT prints {"n": 123456, "pad": "x..."}: about 22 bytes besides the padding.</summary>
    public static int Pad(int payloadBytes) => Math.Max(1, payloadBytes - 22);

    /// <summary>Where the binlog ends now: (file, position).</summary>
    public async Task<(string File, ulong Position)> BinlogEndAsync()
    {
        await using var connection = await OpenAsync();
        await using var cmd = new MySqlCommand("SHOW MASTER STATUS", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), Convert.ToUInt64(reader.GetValue(1)));
    }

    public static uint NextServerId() => (uint)Interlocked.Increment(ref _nextServerId);

    public override Dictionary<string, string> RelayEnvironment(string run, SourceKind kind, string sourceName = "src")
    {
        var prefix = $"Relay__Sources__{sourceName}__";
        var connection = new MySqlConnectionStringBuilder(_connectionString) { AllowUserVariables = false };
        var env = new Dictionary<string, string>
        {
            [prefix + "Kind"] = kind.ToString(),
            [prefix + "ConnectionString"] = connection.ConnectionString,
            [prefix + "Sink"] = "out",
            [prefix + "Outbox__Table"] = $"{DatabaseName}.{Table(run)}",
            [prefix + "Outbox__TopicTemplate"] = SinkTarget.TopicTemplate(run),
        };
        if (kind == SourceKind.MySqlBinlog) env[prefix + "ServerId"] = NextServerId().ToString();
        else env[prefix + "PollInterval"] = "00:00:00.05";
        return env;
    }

    public override async Task<IOutboxWriter> OpenWriterAsync(string run, int payloadBytes)
    {
        var connection = await OpenAsync();
        var cmd = new MySqlCommand($"""
            INSERT INTO {Table(run)} (aggregatetype, aggregateid, type, payload)
            SELECT 'order', seq % 1000, 'Created', JSON_OBJECT('n', seq, 'pad', REPEAT('x', {Pad(payloadBytes)}))
            FROM seq_0_to_99999999 WHERE seq BETWEEN @first AND @last
            """, connection);
        var first = cmd.Parameters.Add("@first", MySqlDbType.Int64);
        var last = cmd.Parameters.Add("@last", MySqlDbType.Int64);
        return new RangeInsertWriter(connection, cmd, first, last);
    }

    public override async Task DropAsync(string run)
    {
        await using var connection = await OpenAsync();
        await Execute(connection, $"DROP TABLE IF EXISTS {Table(run)}");
    }

    public override async Task<long> InsertedAsync(string run)
    {
        // The next AUTO_INCREMENT value (MariaDB reads it live), or the highest seq still there, whichever counts more.
        await using var connection = await OpenAsync();
        await using var cmd = new MySqlCommand($"SELECT COALESCE(MAX(seq), 0) FROM {Table(run)}", connection);
        var max = Convert.ToInt64(await cmd.ExecuteScalarAsync());
        await using var status = new MySqlCommand($"SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{Table(run)}'", connection);
        var next = await status.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt64(value) : 1;
        return Math.Max(max, next - 1);
    }

    private async Task<MySqlConnection> OpenAsync()
    {
        var connection = new MySqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task Execute(MySqlConnection connection, string sql)
    {
        await using var cmd = new MySqlCommand(sql, connection) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync();
    }
}
