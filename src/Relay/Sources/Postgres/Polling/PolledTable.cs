using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// The outbox table as the catalog describes it, checked against the configuration once per run,
/// and the SQL the source runs on it. Every problem found becomes one fatal error naming the key
/// and the fix, because retrying cannot create a column.
/// </summary>
internal sealed class PolledTable
{
    /// <summary>Types Npgsql reads into the CLR types the router expects; every other type is read as its text form.</summary>
    private static readonly HashSet<string> NativeTypes =
        ["bytea", "bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "name", "timestamptz", "timestamp", "date"];

    private PolledTable(OutboxColumns columns, int orderIndex, string pollSql, string releaseSql)
    {
        Columns = columns;
        OrderIndex = orderIndex;
        PollSql = pollSql;
        ReleaseSql = releaseSql;
    }

    /// <summary>Every column of the table, so topic templates and header mappings may use any of them.</summary>
    public OutboxColumns Columns { get; }

    /// <summary>Where the order column sits in <see cref="Columns"/>.</summary>
    public int OrderIndex { get; }

    /// <summary>The next batch, locked (parameter @limit).</summary>
    public string PollSql { get; }

    /// <summary>Deletes or marks the rows whose order values are in @ids.</summary>
    public string ReleaseSql { get; }

    private sealed record Column(string Name, string Type, bool NotNull, short Number);

    public static async Task<PolledTable> InspectAsync(
        NpgsqlConnection connection, PostgresPollingOptions options, OutboxTableOptions outbox,
        IConfigurationSection section, ILogger logger, string sourceName, CancellationToken cancellationToken)
    {
        var table = options.Table.Quoted;
        var columns = await ReadColumnsAsync(connection, table, cancellationToken)
            ?? throw new RelayFatalException(
                $"The outbox table {table} does not exist. Set {ConfigKeys.Describe(section, "Outbox:Table")} to the outbox table (schema.table), " +
                "or create it, and check the connection string's Database.");

        var problems = new List<string>();
        Column? Require(string key, string name, string suggestedType)
        {
            var column = Find(columns, name);
            if (column is null)
                problems.Add($"The outbox table {table} has no column {name}. Set {ConfigKeys.Describe(section, key)} to the column's name, " +
                             $"or add it: ALTER TABLE {table} ADD COLUMN {PostgresTableName.Quote(name)} {suggestedType};");
            return column;
        }

        foreach (var (key, name, type) in new[]
                 {
                     ("Outbox:IdColumn", outbox.IdColumn, "uuid"), ("Outbox:AggregateTypeColumn", outbox.AggregateTypeColumn, "text"),
                     ("Outbox:AggregateIdColumn", outbox.AggregateIdColumn, "text"), ("Outbox:TypeColumn", outbox.TypeColumn, "text"),
                     ("Outbox:PayloadColumn", outbox.PayloadColumn, "jsonb"),
                 })
        {
            if (!string.IsNullOrWhiteSpace(name)) Require(key, name, type);
        }
        if (options.TraceParentRequired && !string.IsNullOrWhiteSpace(outbox.TraceParentColumn))
            Require("Outbox:TraceParentColumn", outbox.TraceParentColumn, "text");
        foreach (var (header, name) in outbox.HeaderColumns)
            Require($"Outbox:HeaderColumns:{header}", name, "text");

        var order = Require("OrderColumn", options.OrderColumn, "bigint GENERATED ALWAYS AS IDENTITY");
        if (order is not null && order.Type is not ("int2" or "int4" or "int8"))
            problems.Add($"{ConfigKeys.Describe(section, "OrderColumn")} names column {order.Name} of type {order.Type}; it must be an integer that grows with each insert. " +
                         $"Name an identity or bigserial column, or add one: ALTER TABLE {table} ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;");
        else if (order is { NotNull: false })
            problems.Add($"{ConfigKeys.Describe(section, "OrderColumn")} names column {order.Name}, which allows NULL. " +
                         $"Make it NOT NULL (ALTER TABLE {table} ALTER COLUMN {PostgresTableName.Quote(order.Name)} SET NOT NULL;) or name an identity column.");

        Column? mark = null;
        if (options.AfterPublish == AfterPublish.Mark)
        {
            mark = Require("MarkColumn", options.MarkColumn, "timestamptz");
            if (mark is not null && (mark.NotNull || mark.Type is not ("timestamptz" or "timestamp")))
                problems.Add($"{ConfigKeys.Describe(section, "MarkColumn")} names column {mark.Name} ({mark.Type}{(mark.NotNull ? ", NOT NULL" : "")}); it must be a nullable timestamptz that is NULL until the row is published. " +
                             $"Add one: ALTER TABLE {table} ADD COLUMN published_at timestamptz;");
        }

        if (problems.Count > 0)
            throw new RelayFatalException(string.Join(Environment.NewLine, problems) +
                                          $"{Environment.NewLine}The table's columns are: {string.Join(", ", columns.Select(c => c.Name))}.");

        await CheckPrivilegesAsync(connection, table, options.AfterPublish, cancellationToken);
        if (!await HasIndexLedByAsync(connection, table, order!.Number, cancellationToken))
            logger.LogWarning("Source {Source}: no index on {Table} starts with the order column {OrderColumn}, so every poll and release scans the table; add one: {Fix}",
                sourceName, table, order.Name,
                $"CREATE INDEX ON {table} ({PostgresTableName.Quote(order.Name)}){(mark is null ? "" : $" WHERE {PostgresTableName.Quote(mark.Name)} IS NULL")};");

        return Build(columns, order, mark, table);
    }

    private static PolledTable Build(List<Column> columns, Column order, Column? mark, string table)
    {
        var select = string.Join(", ", columns.Select(c =>
            NativeTypes.Contains(c.Type) ? PostgresTableName.Quote(c.Name) : $"{PostgresTableName.Quote(c.Name)}::text AS {PostgresTableName.Quote(c.Name)}"));
        var orderColumn = PostgresTableName.Quote(order.Name);
        var unpublished = mark is null ? "" : $" WHERE {PostgresTableName.Quote(mark.Name)} IS NULL";

        // No high-water mark: every poll takes the lowest-ordered rows still in the outbox (in Mark mode,
        // still unmarked), so a row whose transaction commits after rows with higher order values is
        // simply picked up by the next poll instead of being skipped for ever.
        //
        // Why OrderColumn order is commit order per aggregate: a service serialises the writers of one
        // aggregate on that aggregate (SELECT ... FOR UPDATE / UPDATE ... RETURNING version on its row),
        // and draws the identity value when inserting the outbox row, after taking the lock. The second
        // writer gets its lock only after the first committed, so its row has the higher value and commits
        // later; any snapshot that sees the second row therefore sees the first, which is either already
        // published or in the same batch ahead of it.
        //
        // FOR UPDATE without SKIP LOCKED on purpose: the lease makes this relay the only reader, so a
        // locked row can only belong to a stale reader (a relay whose lease session died while its poll
        // transaction lives on) or to a manual transaction. Skipping it would publish later rows of the
        // same aggregate first; waiting keeps the order, and lock_timeout turns a long wait into a retry.
        var pollSql = $"SELECT {select} FROM {table}{unpublished} ORDER BY {orderColumn} LIMIT @limit FOR UPDATE";
        var releaseSql = mark is null
            ? $"DELETE FROM {table} WHERE {orderColumn} = ANY(@ids)"
            : $"UPDATE {table} SET {PostgresTableName.Quote(mark.Name)} = now() WHERE {orderColumn} = ANY(@ids) AND {PostgresTableName.Quote(mark.Name)} IS NULL";
        return new PolledTable(new OutboxColumns(columns.Select(c => c.Name)), columns.IndexOf(order), pollSql, releaseSql);
    }

    /// <summary>The table's columns, or null when there is no such table. The catalog, unlike information_schema, also lists columns the role has no rights on, so a rights problem is reported as one.</summary>
    private static async Task<List<Column>?> ReadColumnsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT a.attname, t.typname, a.attnotnull, a.attnum, c.oid IS NOT NULL
            FROM (SELECT to_regclass(@table) AS oid) c
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_type t ON t.oid = a.atttypid
            ORDER BY a.attnum
            """, connection);
        cmd.Parameters.AddWithValue("table", table);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var columns = new List<Column>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.GetBoolean(4)) return null;
            if (reader.IsDBNull(0)) continue; // a table without columns
            columns.Add(new Column(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt16(3)));
        }
        return columns;
    }

    /// <summary>An exact name, else the one column matching it case-insensitively (an unquoted name folds to lower case).</summary>
    private static Column? Find(List<Column> columns, string name)
    {
        var exact = columns.Find(c => c.Name == name);
        if (exact is not null) return exact;
        var folded = columns.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        return folded.Count == 1 ? folded[0] : null;
    }

    private static async Task CheckPrivilegesAsync(NpgsqlConnection connection, string table, AfterPublish afterPublish, CancellationToken cancellationToken)
    {
        // SELECT ... FOR UPDATE needs UPDATE on some column besides SELECT; releasing needs DELETE or UPDATE.
        await using var cmd = new NpgsqlCommand(
            "SELECT has_table_privilege(@table, 'SELECT'), has_any_column_privilege(@table, 'UPDATE'), has_table_privilege(@table, 'DELETE'), current_user",
            connection);
        cmd.Parameters.AddWithValue("table", table);
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
                $"The role {role} lacks {string.Join(", ", missing)} on the outbox table {table} (polling locks rows with SELECT ... FOR UPDATE, then " +
                $"{(afterPublish == AfterPublish.Delete ? "deletes" : "marks")} them). Grant it: GRANT {string.Join(", ", missing)} ON {table} TO {role};");
        }
    }

    private static async Task<bool> HasIndexLedByAsync(NpgsqlConnection connection, string table, short column, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass(@table) AND indkey[0] = @column)", connection);
        cmd.Parameters.AddWithValue("table", table);
        cmd.Parameters.AddWithValue("column", column);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }
}
