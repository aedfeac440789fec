using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Makes sure the outbox table, the publication and the pgoutput slot are there before streaming, creating
/// what the configuration allows, and turns what retrying cannot fix (missing rights, a missing table, a
/// slot that lost WAL) into a <see cref="RelayFatalException"/> that names the fix.
/// </summary>
internal static class ReplicationSetup
{
    /// <summary>
    /// Returns the slot's confirmed_flush_lsn and the role the relay connects as. <paramref name="committed"/> is the
    /// position the sink holds for the source (null before the first commit): with one, a missing slot is not created
    /// again, since a new slot would silently skip the WAL written since that position.
    /// </summary>
    public static async Task<(NpgsqlLogSequenceNumber Confirmed, string Role)> EnsureAsync(
        PostgresReplicationOptions options, string sourceName, IConfigurationSection section, WalPosition? committed, ILogger logger,
        CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = false, // one short session per start; nothing to keep
            ApplicationName = $"relay-setup:{sourceName}",
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var role = (string)(await ScalarAsync(connection, "SELECT current_user", null, cancellationToken))!;

        var table = options.Table;
        var kind = (char?)await ScalarAsync(connection,
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @p0 AND c.relname = @p1",
            [table.Schema, table.Table], cancellationToken);
        if (kind is not ('r' or 'p'))
        {
            throw new RelayFatalException(
                $"Source '{sourceName}': the outbox table {table} does not exist in this database{(kind is null ? "" : " (it is not a table)")}. " +
                $"Create it, or set {ConfigKeys.Describe(section, "Outbox:Table")} to the outbox table's schema.table.");
        }

        await EnsurePublicationAsync(connection, options, sourceName, section, role, partitioned: kind == 'p', cancellationToken);
        var confirmed = await EnsureSlotAsync(connection, options, sourceName, section, role, committed, cancellationToken);
        // Runs only under the lease: a walsender still on the slot belongs to a relay that lost it.
        await SlotTakeover.FreeAsync(connection, options.Slot, sourceName, role, logger, cancellationToken);
        return (confirmed, role);
    }

    private static async Task EnsurePublicationAsync(
        NpgsqlConnection connection, PostgresReplicationOptions options, string sourceName,
        IConfigurationSection section, string role, bool partitioned, CancellationToken cancellationToken)
    {
        var table = options.Table;
        var publication = options.Publication;
        var create = $"CREATE PUBLICATION {PostgresTableName.Quote(publication)} FOR TABLE {table.Quoted} WITH (publish = 'insert'" +
                     (partitioned ? ", publish_via_partition_root = true)" : ")");

        var inserts = (bool?)await ScalarAsync(connection, "SELECT pubinsert FROM pg_publication WHERE pubname = @p0", [publication], cancellationToken);
        if (inserts is null)
        {
            if (!options.CreatePublication)
            {
                throw new RelayFatalException(
                    $"Source '{sourceName}': publication {publication} does not exist and {ConfigKeys.Describe(section, "CreatePublication")} is false. " +
                    $"Create it as the table's owner: {create}; or set CreatePublication to true.");
            }
            try
            {
                await ExecuteAsync(connection, create, cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
            {
                // Created meanwhile by someone else: check it like any existing one.
            }
            catch (PostgresException e) when (IsPermissionError(e))
            {
                throw new RelayFatalException(
                    $"Source '{sourceName}': role {role} may not create publication {publication} ({e.MessageText}). " +
                    $"CREATE PUBLICATION needs the CREATE right on the database and ownership of {table}. Either create it yourself as the " +
                    $"table's owner: {create}; and set {ConfigKeys.Describe(section, "CreatePublication")} to false, or make {role} the table's owner " +
                    $"(ALTER TABLE {table} OWNER TO {PostgresTableName.Quote(role)}) and grant it CREATE on the database.", e);
            }
            inserts = (bool?)await ScalarAsync(connection, "SELECT pubinsert FROM pg_publication WHERE pubname = @p0", [publication], cancellationToken);
        }

        var includes = await ScalarAsync(connection,
            "SELECT 1 FROM pg_publication_tables WHERE pubname = @p0 AND schemaname = @p1 AND tablename = @p2",
            [publication, table.Schema, table.Table], cancellationToken) is not null;
        if (!includes)
        {
            throw new RelayFatalException(
                $"Source '{sourceName}': publication {publication} exists but does not include the outbox table {table}. " +
                $"Add it as the table's owner: ALTER PUBLICATION {PostgresTableName.Quote(publication)} ADD TABLE {table}; " +
                $"or set {ConfigKeys.Describe(section, "Publication")} to a publication that includes it.");
        }
        if (inserts == false)
        {
            throw new RelayFatalException(
                $"Source '{sourceName}': publication {publication} does not publish inserts. " +
                $"Run ALTER PUBLICATION {PostgresTableName.Quote(publication)} SET (publish = 'insert'); or use another publication.");
        }
    }

    private static async Task<NpgsqlLogSequenceNumber> EnsureSlotAsync(
        NpgsqlConnection connection, PostgresReplicationOptions options, string sourceName,
        IConfigurationSection section, string role, WalPosition? committed, CancellationToken cancellationToken)
    {
        var slot = options.Slot;
        for (var attempt = 0; ; attempt++)
        {
            await using (var cmd = new NpgsqlCommand(
                "SELECT plugin, database, wal_status, confirmed_flush_lsn, slot_type FROM pg_replication_slots WHERE slot_name = @p0", connection))
            {
                cmd.Parameters.AddWithValue("p0", slot);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    var plugin = reader.IsDBNull(0) ? null : reader.GetString(0);
                    var database = reader.IsDBNull(1) ? null : reader.GetString(1);
                    var walStatus = reader.IsDBNull(2) ? null : reader.GetString(2);
                    var confirmed = reader.IsDBNull(3) ? default : reader.GetFieldValue<NpgsqlLogSequenceNumber>(3);
                    if (plugin != "pgoutput" || database != connection.Database)
                    {
                        throw new RelayFatalException(
                            $"Source '{sourceName}': replication slot {slot} exists but is not a pgoutput slot of database {connection.Database} " +
                            $"(plugin {plugin ?? "none"}, database {database ?? "none"}). Set {ConfigKeys.Describe(section, "Slot")} to another name, " +
                            "or drop that slot if nothing uses it.");
                    }
                    if (walStatus == "lost")
                    {
                        throw new RelayFatalException(
                            $"Source '{sourceName}': replication slot {slot} has lost WAL it had not read yet (wal_status = lost, usually because " +
                            "max_slot_wal_keep_size was exceeded): outbox rows written in that WAL may never have been published. To recover, drop the " +
                            $"slot (SELECT pg_drop_replication_slot('{slot}');), remove the source's committed position ({ResetCommand(sourceName)}) and " +
                            "start the relay again, which creates a new slot that streams from now on; then republish, from the outbox table, the rows " +
                            $"written since the committed position {committed?.Encode() ?? "(none)"}, if the table still has them. Raise " +
                            "max_slot_wal_keep_size so that it holds the WAL of the longest outage the relay must survive.");
                    }
                    return confirmed;
                }
            }

            if (committed is { } position)
            {
                // The sink holds a position in a slot that is gone (dropped, by hand or by a tool, while or since the relay
                // read it): a new slot would start at the server's current WAL and skip what was written in between.
                throw new RelayFatalException(
                    $"Source '{sourceName}': replication slot {slot} does not exist, but the sink holds committed position {position.Encode()} of it: " +
                    "the slot was dropped, and the WAL written since that position can no longer be decoded, so outbox rows written in it may " +
                    $"never have been published. Relay does not create the slot again by itself, which would skip them silently. To recover, " +
                    $"remove the source's committed position ({ResetCommand(sourceName)}) and start the relay again, which creates slot {slot} " +
                    "streaming from now on; then republish, from the outbox table, the rows written since that position, if the table still has " +
                    "them. Make sure nothing else drops the slot (the slot name must be this source's alone).");
            }

            if (!options.CreateSlot)
            {
                throw new RelayFatalException(
                    $"Source '{sourceName}': replication slot {slot} does not exist and {ConfigKeys.Describe(section, "CreateSlot")} is false. " +
                    $"Create it: SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput'); or set CreateSlot to true.");
            }
            if (attempt > 0) throw new InvalidOperationException($"Replication slot {slot} disappeared right after it was created.");
            try
            {
                await ScalarAsync(connection, "SELECT lsn FROM pg_create_logical_replication_slot(@p0, 'pgoutput')", [slot], cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
            {
                // Created meanwhile: read it like an existing one.
            }
            catch (PostgresException e) when (IsPermissionError(e))
            {
                throw MissingReplicationRight(sourceName, role, e);
            }
        }
    }

    private static string ResetCommand(string sourceName) => $"Relay offsets reset --source {sourceName} --delete";

    /// <summary>Replication slots and walsenders need the REPLICATION attribute (or superuser).</summary>
    public static RelayFatalException MissingReplicationRight(string sourceName, string role, PostgresException e) => new(
        $"Source '{sourceName}': role {role} lacks the REPLICATION right ({e.MessageText}). Grant it as a superuser: " +
        $"ALTER ROLE {PostgresTableName.Quote(role)} REPLICATION; (or connect as a role that has it).", e);

    public static bool IsPermissionError(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InsufficientPrivilege ||
        e.MessageText.Contains("must be superuser or replication role", StringComparison.OrdinalIgnoreCase);

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, object[]? parameters, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        if (parameters is not null)
            for (var i = 0; i < parameters.Length; i++) cmd.Parameters.AddWithValue("p" + i, parameters[i]);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
