using Npgsql;

namespace Relay.Bench.Infrastructure;

/// <summary>PostgreSQL outbox tables in database relay_bench, with a publication and replication slots for WAL runs.</summary>
public sealed class PostgresOutbox : OutboxDatabase
{
    private readonly string _connectionString;

    private PostgresOutbox(string connectionString) => _connectionString = connectionString;

    public string ConnectionString => _connectionString;

    public static async Task<PostgresOutbox> OpenAsync(string admin)
    {
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{DatabaseName}'", connection);
            if (await exists.ExecuteScalarAsync() is null)
                await Execute(connection, $"CREATE DATABASE {DatabaseName}");
        }
        var target = new NpgsqlConnectionStringBuilder(admin) { Database = DatabaseName, Pooling = false }.ConnectionString;
        var outbox = new PostgresOutbox(target);
        await using (var connection = new NpgsqlConnection(target))
        {
            await connection.OpenAsync();
            // Slots of an earlier bench run that died would keep WAL forever.
            await Execute(connection, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench\\_%' AND NOT active AND database = '{DatabaseName}'");
            await Execute(connection, """
                CREATE OR REPLACE PROCEDURE bench_fill(tbl text, total int, per_txn int, pad int) LANGUAGE plpgsql AS $$
                DECLARE i int := 0; statement text;
                BEGIN
                  statement := format('INSERT INTO %I (aggregatetype, aggregateid, type, payload) SELECT ''order'', (g %% 1000)::text, ''Created'', '
                    || 'jsonb_build_object(''n'', g, ''pad'', repeat(''x'', $3)) FROM generate_series($1, $2) g', tbl);
                  WHILE i < total LOOP
                    EXECUTE statement USING i, least(i + per_txn, total) - 1, pad;
                    COMMIT;
                    i := i + per_txn;
                  END LOOP;
                END $$;
                """);
        }
        return outbox;
    }

    public static string Slot(string run, string consumer) => $"bench_{run}_{consumer}".Replace('-', '_').Replace('.', '_');

    public static string Publication(string run) => Table(run);

    public override async Task PrepareAsync(string run)
    {
        var table = Table(run);
        await using var connection = await OpenAsync();
        await Execute(connection, $"""
            DROP TABLE IF EXISTS {table};
            CREATE TABLE {table} (
              id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
              aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL,
              payload jsonb, traceparent text,
              seq bigint GENERATED ALWAYS AS IDENTITY);
            CREATE INDEX ON {table} (seq);
            DROP PUBLICATION IF EXISTS {table};
            CREATE PUBLICATION {table} FOR TABLE {table};
            """);
    }

    /// <summary>A pgoutput slot created now: it will decode everything committed from here on.</summary>
    public async Task CreateSlotAsync(string slot)
    {
        await using var connection = await OpenAsync();
        await Execute(connection, $"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')");
    }

    public override async Task FillAsync(string run, int rows, int rowsPerTransaction, int payloadBytes)
    {
        await using var connection = await OpenAsync();
        // The WAL is the same whether or not each commit waits for its flush; the fill need not wait.
        await Execute(connection, "SET synchronous_commit = off");
        await using (var call = new NpgsqlCommand("CALL bench_fill(@table, @total, @perTxn, @pad)", connection) { CommandTimeout = 0 })
        {
            call.Parameters.AddWithValue("table", Table(run));
            call.Parameters.AddWithValue("total", rows);
            call.Parameters.AddWithValue("perTxn", rowsPerTransaction);
            call.Parameters.AddWithValue("pad", Pad(payloadBytes));
            await call.ExecuteNonQueryAsync();
        }
        // A synchronous commit flushes all the WAL before it, so every filled row is there for the readers.
        await Execute(connection, "SET synchronous_commit = on; SELECT txid_current()");
    }

    public async Task<string> CurrentLsnAsync()
    {
        await using var connection = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>jsonb prints {"n": 123456, "pad": "x..."}: about 22 bytes besides the padding.</summary>
    public static int Pad(int payloadBytes) => Math.Max(1, payloadBytes - 22);

    public override Dictionary<string, string> RelayEnvironment(string run, SourceKind kind, string sourceName = "src")
    {
        var prefix = $"Relay__Sources__{sourceName}__";
        var env = new Dictionary<string, string>
        {
            [prefix + "Kind"] = kind.ToString(),
            [prefix + "ConnectionString"] = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = true }.ConnectionString,
            [prefix + "Sink"] = "out",
            [prefix + "Outbox__Table"] = "public." + Table(run),
            [prefix + "Outbox__TopicTemplate"] = SinkTarget.TopicTemplate(run),
        };
        if (kind == SourceKind.PostgresReplication)
        {
            env[prefix + "Slot"] = Slot(run, sourceName);
            env[prefix + "Publication"] = Publication(run);
            env[prefix + "CreatePublication"] = "false";
        }
        else
        {
            env[prefix + "PollInterval"] = "00:00:00.05";
        }
        return env;
    }

    public override async Task<IOutboxWriter> OpenWriterAsync(string run, int payloadBytes)
    {
        var connection = await OpenAsync();
        var cmd = new NpgsqlCommand($"""
            INSERT INTO {Table(run)} (aggregatetype, aggregateid, type, payload)
            SELECT 'order', (n % 1000)::text, 'Created', jsonb_build_object('n', n, 'pad', repeat('x', {Pad(payloadBytes)}))
            FROM generate_series(@first::bigint, @last::bigint) n
            """, connection);
        var first = cmd.Parameters.Add("first", NpgsqlTypes.NpgsqlDbType.Bigint);
        var last = cmd.Parameters.Add("last", NpgsqlTypes.NpgsqlDbType.Bigint);
        await cmd.PrepareAsync();
        return new RangeInsertWriter(connection, cmd, first, last);
    }

    public override async Task DropAsync(string run)
    {
        await using var connection = await OpenAsync();
        var table = Table(run);
        // A slot may still be held for a moment by a walsender that is shutting down.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using var active = new NpgsqlCommand($"SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '{Slot(run, "")}%' AND active", connection);
            if ((long)(await active.ExecuteScalarAsync())! == 0) break;
            await Task.Delay(100);
        }
        await Execute(connection, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '{Slot(run, "")}%' AND NOT active");
        await Execute(connection, $"DROP PUBLICATION IF EXISTS {table}; DROP TABLE IF EXISTS {table}");
    }

    public override async Task<long> InsertedAsync(string run)
    {
        await using var connection = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{Table(run)}', 'seq')), 0)", connection);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync();
    }
}
