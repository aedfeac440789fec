using Npgsql;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Checks and setup of a log-tailing source: wal_level, the role's REPLICATION right, the outbox table and
/// its columns, the publication and the slot. The setup script creates the table, the publication (inserts
/// only) and the slot, and grants the role what it needs; creating the slot ahead of the first start means
/// rows written before that start are published too.
/// </summary>
internal sealed class ReplicationSourceSetup(string sourceName, PostgresReplicationOptions options) : ISourceSetup
{
    private string Key(string key) => $"Relay:Sources:{sourceName}:{key}";

    public IReadOnlyList<SetupStep> Script()
    {
        var table = options.Table;
        var role = PostgresSetupSql.Role(options.ConnectionString);
        var steps = PostgresSetupSql.OutboxTable(table, options.Outbox, []).ToList();
        var publication = PostgresTableName.Quote(options.Publication);
        steps.Add(new SetupStep("the publication of the outbox table's inserts", $"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = '{options.Publication}') THEN
                CREATE PUBLICATION {publication} FOR TABLE {table.Quoted} WITH (publish = 'insert');
              END IF;
            END $$
            """));
        steps.Add(new SetupStep("the REPLICATION right of the relay's role (needs a superuser when the role lacks it)", $"""
            DO $$ BEGIN
              IF NOT (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = {(role == "CURRENT_USER" ? "current_user" : $"'{role.Trim('"').Replace("'", "''")}'")}) THEN
                ALTER ROLE {role} REPLICATION;
              END IF;
            END $$
            """));
        steps.Add(new SetupStep("read access to the outbox table for the relay's role", $"GRANT SELECT ON {table.Quoted} TO {role}"));
        steps.Add(new SetupStep("the replication slot (from now on the database keeps the outbox's WAL for the relay)",
            $"SELECT pg_create_logical_replication_slot('{options.Slot}', 'pgoutput') WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '{options.Slot}')"));
        return steps;
    }

    public Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken) =>
        PostgresSetupSql.ApplyAsync(options.ConnectionString, sourceName, Script(), cancellationToken);

    public async Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken)
    {
        var (connection, connectProblem) = await PostgresSetupSql.ConnectAsync(options.ConnectionString, sourceName, cancellationToken);
        if (connection is null) return [connectProblem!];
        await using var _ = connection;
        var problems = new List<SetupProblem>();
        var table = options.Table;

        var walLevel = (string?)await PostgresSetupSql.ScalarAsync(connection, "SELECT current_setting('wal_level')", cancellationToken);
        if (walLevel != "logical")
            problems.Add(new SetupProblem($"Source '{sourceName}': the server's wal_level is {walLevel}, so it cannot stream changes.",
                "As a superuser: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (on a managed service, turn on its logical replication setting)."));

        var (role, replication) = await RoleAsync(connection, cancellationToken);
        if (!replication)
            problems.Add(new SetupProblem($"Source '{sourceName}': role {role} lacks the REPLICATION right.",
                $"As a superuser: ALTER ROLE {PostgresTableName.Quote(role)} REPLICATION;"));

        var columns = await PostgresSetupSql.ColumnsAsync(connection, table, cancellationToken);
        if (columns is null)
        {
            problems.Add(new SetupProblem($"Source '{sourceName}': the outbox table {table} does not exist.",
                $"Run `relay setup --apply --source {sourceName}` (or print the DDL with `relay setup --source {sourceName}`), or set {Key("Outbox:Table")} to the outbox table."));
        }
        else
        {
            problems.AddRange(OutboxColumnChecks.Missing(columns, table.ToString(), options.Outbox, sourceName, PostgresTableName.Quote));
        }

        if (columns is not null) await CheckPublicationAsync(connection, table, problems, cancellationToken);
        await CheckSlotAsync(connection, problems, cancellationToken);
        return problems;
    }

    private static async Task<(string Role, bool Replication)> RoleAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT current_user, rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user", connection);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.GetBoolean(1));
    }

    private async Task CheckPublicationAsync(NpgsqlConnection connection, PostgresTableName table, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        var inserts = (bool?)await PostgresSetupSql.ScalarAsync(connection, "SELECT pubinsert FROM pg_publication WHERE pubname = @p", cancellationToken, ("p", options.Publication));
        var create = $"CREATE PUBLICATION {PostgresTableName.Quote(options.Publication)} FOR TABLE {table.Quoted} WITH (publish = 'insert');";
        if (inserts is null)
        {
            if (!options.CreatePublication)
            {
                problems.Add(new SetupProblem($"Source '{sourceName}': publication {options.Publication} does not exist and {Key("CreatePublication")} is false.",
                    $"As the table's owner: {create} (or `relay setup --apply --source {sourceName}`)."));
                return;
            }
            var owner = (bool?)await PostgresSetupSql.ScalarAsync(connection,
                "SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass(@t)", cancellationToken, ("t", table.Quoted));
            if (owner != true)
                problems.Add(new SetupProblem($"Source '{sourceName}': publication {options.Publication} does not exist, and the relay's role cannot create it (only the table's owner may).",
                    $"As the table's owner: {create} (or `relay setup --apply --source {sourceName}` with the owner's connection string)."));
            return;
        }
        var includes = await PostgresSetupSql.ScalarAsync(connection,
            "SELECT 1 FROM pg_publication_tables WHERE pubname = @p AND schemaname = @s AND tablename = @t", cancellationToken,
            ("p", options.Publication), ("s", table.Schema), ("t", table.Table)) is not null;
        if (!includes)
            problems.Add(new SetupProblem($"Source '{sourceName}': publication {options.Publication} does not include the outbox table {table}.",
                $"As the table's owner: ALTER PUBLICATION {PostgresTableName.Quote(options.Publication)} ADD TABLE {table.Quoted}; or set {Key("Publication")} to another publication."));
        if (inserts == false)
            problems.Add(new SetupProblem($"Source '{sourceName}': publication {options.Publication} does not publish inserts.",
                $"ALTER PUBLICATION {PostgresTableName.Quote(options.Publication)} SET (publish = 'insert');"));
    }

    private async Task CheckSlotAsync(NpgsqlConnection connection, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT s.plugin, s.database, s.wal_status, current_database(),
                   (SELECT count(*) FROM pg_replication_slots), current_setting('max_replication_slots')::int
            FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = @slot
            """, connection);
        cmd.Parameters.AddWithValue("slot", options.Slot);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var exists = !reader.IsDBNull(0);
        if (exists)
        {
            if (reader.GetString(0) != "pgoutput" || reader.GetString(1) != reader.GetString(3))
                problems.Add(new SetupProblem($"Source '{sourceName}': replication slot {options.Slot} belongs to another plugin or database ({reader.GetString(0)}, {reader.GetString(1)}).",
                    $"Set {Key("Slot")} to another name, or drop that slot if nothing uses it."));
            else if (!reader.IsDBNull(2) && reader.GetString(2) == "lost")
                problems.Add(new SetupProblem($"Source '{sourceName}': replication slot {options.Slot} has lost WAL it had not read (wal_status = lost).",
                    $"Drop it (SELECT pg_drop_replication_slot('{options.Slot}');) and republish what the sink lacks from the outbox table; raise max_slot_wal_keep_size."));
            return;
        }
        if (!options.CreateSlot)
            problems.Add(new SetupProblem($"Source '{sourceName}': replication slot {options.Slot} does not exist and {Key("CreateSlot")} is false.",
                $"SELECT pg_create_logical_replication_slot('{options.Slot}', 'pgoutput'); (or `relay setup --apply --source {sourceName}`)."));
        else if (reader.GetInt64(4) >= reader.GetInt32(5))
            problems.Add(new SetupProblem($"Source '{sourceName}': every replication slot is taken (max_replication_slots = {reader.GetInt32(5)}), so the relay cannot create {options.Slot}.",
                "Raise max_replication_slots (restart needed) or drop an unused slot."));
        else
            problems.Add(new SetupProblem($"Source '{sourceName}': replication slot {options.Slot} does not exist yet; the first start creates it, and rows committed before then are not published.",
                $"Create it now with `relay setup --apply --source {sourceName}` if rows written before the first start must be published.") { IsWarning = true });
    }
}
