using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>What both Postgres kinds' setups share: the connection, the outbox table's DDL, grants and catalog questions.</summary>
internal static class PostgresSetupSql
{
    public static async Task<(NpgsqlConnection? Connection, SetupProblem? Problem)> ConnectAsync(string connectionString, string sourceName, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"relay-setup:{sourceName}",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return (connection, null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            return (null, new SetupProblem(
                $"Cannot connect to the database of source '{sourceName}': {e.Message}",
                "Check Host, Port, Database, Username and Password in its ConnectionString, that the server's pg_hba.conf admits this client, " +
                "and the TLS settings (SSL Mode=Require or VerifyFull, Root Certificate=...)."));
        }
    }

    /// <summary>The role the connection string logs in as, quoted, or CURRENT_USER.</summary>
    public static string Role(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString).Username is { Length: > 0 } user ? PostgresTableName.Quote(user) : "CURRENT_USER";

    /// <summary>CREATE TABLE IF NOT EXISTS with the configured column names (Debezium's by default), plus the schema when it is not public.</summary>
    public static IEnumerable<SetupStep> OutboxTable(PostgresTableName table, OutboxTableOptions outbox, IEnumerable<string> extraColumns)
    {
        if (table.Schema != "public")
            yield return new SetupStep("the outbox table's schema", $"CREATE SCHEMA IF NOT EXISTS {PostgresTableName.Quote(table.Schema)}");
        var columns = new List<string>
        {
            $"{PostgresTableName.Quote(outbox.IdColumn)} uuid PRIMARY KEY DEFAULT gen_random_uuid()",
            $"{PostgresTableName.Quote(outbox.AggregateTypeColumn)} text NOT NULL",
            $"{PostgresTableName.Quote(outbox.AggregateIdColumn)} text NOT NULL",
        };
        if (!string.IsNullOrWhiteSpace(outbox.TypeColumn)) columns.Add($"{PostgresTableName.Quote(outbox.TypeColumn)} text NOT NULL");
        columns.Add($"{PostgresTableName.Quote(outbox.PayloadColumn)} jsonb");
        if (!string.IsNullOrWhiteSpace(outbox.TraceParentColumn)) columns.Add($"{PostgresTableName.Quote(outbox.TraceParentColumn)} text");
        foreach (var column in outbox.HeaderColumns.Values.Distinct(StringComparer.Ordinal)) columns.Add($"{PostgresTableName.Quote(column)} text");
        columns.AddRange(extraColumns);
        yield return new SetupStep("the outbox table (services insert their events here)",
            $"CREATE TABLE IF NOT EXISTS {table.Quoted} (\n  {string.Join(",\n  ", columns)}\n)");
    }

    public static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        var value2 = await cmd.ExecuteScalarAsync(cancellationToken);
        return value2 is DBNull ? null : value2;
    }

    /// <summary>The columns of the table that exist, or null when the table does not.</summary>
    public static async Task<HashSet<string>?> ColumnsAsync(NpgsqlConnection connection, PostgresTableName table, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.oid IS NOT NULL, a.attname FROM (SELECT to_regclass(@t) AS oid) c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            """, connection);
        cmd.Parameters.AddWithValue("t", table.Quoted);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var columns = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.GetBoolean(0)) return null;
            if (!reader.IsDBNull(1)) columns.Add(reader.GetString(1));
        }
        return columns;
    }

    /// <summary>Runs the steps in order, each in its own implicit transaction; the first failure is returned with its fix.</summary>
    public static async Task<SetupProblem?> ApplyAsync(string connectionString, string sourceName, IReadOnlyList<SetupStep> steps, CancellationToken cancellationToken)
    {
        var (connection, problem) = await ConnectAsync(connectionString, sourceName, cancellationToken);
        if (connection is null) return problem;
        await using (connection)
        {
            foreach (var step in steps)
            {
                try
                {
                    await using var cmd = new NpgsqlCommand(step.Sql, connection);
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e)
                {
                    var rights = e.SqlState is PostgresErrorCodes.InsufficientPrivilege || e.MessageText.Contains("must be", StringComparison.OrdinalIgnoreCase);
                    return new SetupProblem(
                        $"Source '{sourceName}': creating {step.Purpose} failed: {e.SqlState} {e.MessageText}",
                        rights
                            ? "Run `relay setup --apply` with a connection string of a role that may do it (the table's owner; a superuser for ALTER ROLE ... REPLICATION), or run the printed script as such a role."
                            : "Fix what the error names, then run `relay setup --apply` again: every step is idempotent.");
                }
            }
        }
        return null;
    }
}
