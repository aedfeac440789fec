using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// PostgreSQL's part of polling: its catalog, SQL and text forms. The poll locks its rows (FOR UPDATE, without
/// SKIP LOCKED): a snapshot never shows rows not yet committed, so the locks only meet a stale relay's or a
/// manual transaction's, and waiting for those keeps the order; lock_timeout turns a long wait into a retry.
/// </summary>
internal sealed class PostgresPollingDialect(string sourceName, PostgresPollingOptions options) : PollingDialect
{
    private readonly PostgresTableName _table = options.Table;
    private NpgsqlDataSource? _dataSource;

    /// <summary>Built at the first connection: a dialect that only writes SQL and reads catalogs (setup) holds no pool.</summary>
    private NpgsqlDataSource DataSource => _dataSource ??= Build();

    private NpgsqlDataSource Build()
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName = $"relay-poll:{sourceName}";
        builder.ConnectionStringBuilder.Options = $"{builder.ConnectionStringBuilder.Options} {PostgresText.SessionOptions}".Trim();
        // A poll's transaction locks the rows it hands out: the server must give up on a relay cut off from it (and roll
        // back, freeing them for the replica that took the lease over) as soon as it gives up on its lease.
        builder.ConnectionStringBuilder.Options += " " + options.Lease.PostgresSessionOptions;
        builder.ConnectionStringBuilder.TcpKeepAlive = true;
        return builder.Build();
    }

    public override string PositionPrefix => PolledPosition.PostgresPrefix;

    public override string Table => _table.Quoted;

    public override async Task<DbConnection> OpenAsync(TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var cmd = new NpgsqlCommand($"SET lock_timeout = {(long)lockTimeout.TotalMilliseconds}", connection);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The catalog, unlike information_schema, also lists columns the role has no rights on, so a rights problem is reported as one.</summary>
    public override async Task<List<PolledColumn>?> ReadColumnsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT a.attname, t.typname, a.attnotnull, a.attnum, c.oid IS NOT NULL,
                   (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END)::bigint
            FROM (SELECT to_regclass(@table) AS oid) c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_type t ON t.oid = a.atttypid
            ORDER BY a.attnum
            """, (NpgsqlConnection)connection);
        cmd.Parameters.AddWithValue("table", Table);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var columns = new List<PolledColumn>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.GetBoolean(4)) return null;
            if (reader.IsDBNull(0)) continue; // a table without columns
            columns.Add(new PolledColumn(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt16(3), (uint)reader.GetInt64(5)));
        }
        return columns;
    }

    public override async Task CheckPrivilegesAsync(DbConnection connection, AfterPublish afterPublish, CancellationToken cancellationToken)
    {
        // SELECT ... FOR UPDATE needs UPDATE on some column besides SELECT; releasing needs DELETE or UPDATE.
        await using var cmd = new NpgsqlCommand(
            "SELECT has_table_privilege(@table, 'SELECT'), has_any_column_privilege(@table, 'UPDATE'), has_table_privilege(@table, 'DELETE'), current_user",
            (NpgsqlConnection)connection);
        cmd.Parameters.AddWithValue("table", Table);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var missing = new List<string>();
        if (!reader.GetBoolean(0)) missing.Add("SELECT");
        if (!reader.GetBoolean(1)) missing.Add("UPDATE");
        if (afterPublish == AfterPublish.Delete && !reader.GetBoolean(2)) missing.Add("DELETE");
        if (missing.Count > 0)
        {
            var role = PostgresTableName.Quote(reader.GetString(3));
            throw new RelayFatalException(
                $"The role {role} lacks {string.Join(", ", missing)} on the outbox table {Table} (polling locks rows with SELECT ... FOR UPDATE, then " +
                $"{(afterPublish == AfterPublish.Delete ? "deletes" : "marks")} them). Grant it: GRANT {string.Join(", ", missing)} ON {Table} TO {role};");
        }
    }

    public override async Task<bool> HasIndexLedByAsync(DbConnection connection, PolledColumn column, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass(@table) AND indkey[0] = @column)", (NpgsqlConnection)connection);
        cmd.Parameters.AddWithValue("table", Table);
        cmd.Parameters.AddWithValue("column", (short)column.Number);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public override string Quote(string identifier) => PostgresTableName.Quote(identifier);

    public override bool IsInteger(PolledColumn column) => column.Type is "int2" or "int4" or "int8";

    public override bool IsTimestamp(PolledColumn column) => column.Type is "timestamptz" or "timestamp";

    public override string SuggestedType(PolledColumnRole role) => role switch
    {
        PolledColumnRole.Id => "uuid",
        PolledColumnRole.Payload => "jsonb",
        PolledColumnRole.Order => "bigint GENERATED ALWAYS AS IDENTITY",
        PolledColumnRole.Mark => "timestamptz",
        PolledColumnRole.Timestamp => "timestamptz NOT NULL DEFAULT now()",
        _ => "text",
    };

    public override string SetNotNullSql(PolledColumn column) => $"ALTER TABLE {Table} ALTER COLUMN {Quote(column.Name)} SET NOT NULL;";

    /// <summary>Integers and bytea are read as themselves; everything else as its text, which <see cref="PostgresText"/> brings into the normal form.</summary>
    public override string SelectExpression(PolledColumn column) =>
        IsInteger(column) || column.TypeId == PostgresText.Bytea ? Quote(column.Name) : $"{Quote(column.Name)}::text AS {Quote(column.Name)}";

    public override DbCommand CreatePollCommand(DbConnection connection, string select, PolledColumn order, string? unpublished, int limit)
    {
        var where = unpublished is null ? "" : $" WHERE {unpublished}";
        var cmd = new NpgsqlCommand($"SELECT {select} FROM {Table}{where} ORDER BY {Quote(order.Name)} LIMIT @limit FOR UPDATE", (NpgsqlConnection)connection);
        cmd.Parameters.AddWithValue("limit", limit);
        return cmd;
    }

    public override DbCommand CreateReleaseCommand(DbConnection connection, DbTransaction transaction, PolledColumn order, PolledColumn? mark, long[] ids)
    {
        var column = Quote(order.Name);
        var sql = mark is null
            ? $"DELETE FROM {Table} WHERE {column} = ANY(@ids)"
            : $"UPDATE {Table} SET {Quote(mark.Name)} = now() WHERE {column} = ANY(@ids) AND {Quote(mark.Name)} IS NULL";
        var cmd = new NpgsqlCommand(sql, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        cmd.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids);
        return cmd;
    }

    public override object? ReadValue(DbDataReader reader, int ordinal, PolledColumn column)
    {
        if (IsInteger(column)) return ValueText.Integer(reader.GetInt64(ordinal));
        if (column.TypeId == PostgresText.Bytea) return reader.GetFieldValue<byte[]>(ordinal);
        return PostgresText.Normalize(column.TypeId, reader.GetString(ordinal));
    }

    public override bool IsLockTimeout(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable };

    /// <summary>An undefined column, or a prepared poll whose result columns changed type ("cached plan must not change result type").</summary>
    public override bool IsColumnGone(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.FeatureNotSupported };

    public override string BlockingSessionHint =>
        "SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(<this relay's pid>))";

    public override string LeaseHeldSql => PostgresLeaseQuery.HeldSql;

    public override string LeaseName => PostgresLeaseQuery.LeaseName(sourceName);

    public override string SecondsSince(string column) => $"extract(epoch FROM clock_timestamp() - {Quote(column)})::float8";

    public override ValueTask DisposeAsync() => _dataSource?.DisposeAsync() ?? ValueTask.CompletedTask;
}
