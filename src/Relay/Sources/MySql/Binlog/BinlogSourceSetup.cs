using System.Globalization;
using Dapper;
using Microsoft.Extensions.Configuration;
using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Checks and setup of a binlog source. The checks are the relay's own at start (<see cref="BinlogServer.CheckAsync"/>:
/// binary logging, ROW format, FULL row image, row metadata, the server id against the server's, the right to read
/// where the binlog stands, the table), and what start-up leaves to the first read: the outbox's columns, SELECT on it,
/// REPLICATION SLAVE, and another replica registered with this server id. The script creates the README's outbox table
/// (without polling's order column) and names the grants.
/// </summary>
internal sealed class BinlogSourceSetup(string sourceName, MySqlBinlogOptions options, IConfigurationSection section) : ISourceSetup
{
    public IReadOnlyList<SetupStep> Script()
    {
        var account = MySqlAccount.Of(options.ConnectionString);
        var steps = MySqlSetupSql.OutboxTable(options.Table, options.ConnectionString, options.Outbox, []).ToList();
        steps.Add(MySqlSetupSql.Grants("the relay user's rights (reading the binlog as a replica does, and the outbox)",
        [
            $"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO {account};  -- MariaDB 10.5+ also calls REPLICATION CLIENT BINLOG MONITOR",
            $"GRANT SELECT ON {options.Table.Quoted} TO {account};",
        ]));
        return steps;
    }

    public Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken) =>
        MySqlSetupSql.ApplyAsync(options.ConnectionString, sourceName, Script(), cancellationToken);

    public async Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken)
    {
        var (connection, connectProblem) = await MySqlSetupSql.ConnectAsync(options.ConnectionString, sourceName, cancellationToken);
        if (connection is null) return [connectProblem!];
        await using var _ = connection;
        var (_, found) = await BinlogServer.CheckAsync(connection, options, section, cancellationToken);
        var problems = found.Select(p => p with { Problem = $"Source '{sourceName}': {p.Problem}" }).ToList();
        var account = await MySqlAccount.CurrentAsync(connection, cancellationToken);
        if (await InformationSchemaColumns.LoadAsync(connection, options.Table.Schema, options.Table.Table, cancellationToken) is { } columns)
        {
            problems.AddRange(OutboxColumnChecks.Missing(columns.Names!, options.Table.Quoted, options.Outbox, sourceName, MySqlTableName.Quote));
            await CheckSelectAsync(connection, account, problems, cancellationToken);
        }
        await CheckReplicationRightAsync(connection, account, problems, cancellationToken);
        await CheckServerIdAsync(connection, problems, cancellationToken);
        return problems;
    }

    private async Task CheckSelectAsync(MySqlConnection connection, string account, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"SELECT 1 FROM {options.Table.Quoted} WHERE 1 = 0", cancellationToken: cancellationToken));
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.TableAccessDenied or MySqlErrorCode.ColumnAccessDenied)
        {
            problems.Add(new SetupProblem($"Source '{sourceName}': the user {account} lacks SELECT on the outbox table {options.Table}.",
                $"As an administrator: GRANT SELECT ON {options.Table.Quoted} TO {account};"));
        }
    }

    /// <summary>
    /// The right may be the account's own (information_schema lists those, ALL PRIVILEGES one by one) or a role's that
    /// its logins enable by default (SET DEFAULT ROLE), as the relay's binlog session's will be. information_schema
    /// does not show a role's rights to its grantee, so those are read from SHOW GRANTS: on MariaDB for each enabled
    /// role, on MySQL 8 as the current user using the enabled roles.
    /// </summary>
    private async Task CheckReplicationRightAsync(MySqlConnection connection, string account, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        var granted = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = @account AND PRIVILEGE_TYPE = 'REPLICATION SLAVE'",
            new { account }, cancellationToken: cancellationToken)) > 0;
        if (!granted) granted = await RoleGrantsReplicationAsync(connection, cancellationToken);
        if (!granted)
            problems.Add(new SetupProblem(
                $"Source '{sourceName}': the user {account} lacks REPLICATION SLAVE, which reading the binlog needs (granted to the user, or to a role its logins enable by default).",
                $"As an administrator: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO {account};"));
    }

    private static async Task<bool> RoleGrantsReplicationAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var isMariaDb = connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        static string Quote(string name) => "`" + name.Replace("`", "``") + "`";
        var roles = new List<string>();
        await using (var cmd = new MySqlCommand(isMariaDb ? "SELECT ROLE_NAME FROM information_schema.ENABLED_ROLES" : "SELECT ROLE_NAME, ROLE_HOST FROM information_schema.ENABLED_ROLES", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            // MariaDB answers one row of NULL when no role is enabled.
            while (await reader.ReadAsync(cancellationToken))
                if (!reader.IsDBNull(0)) roles.Add(isMariaDb ? Quote(reader.GetString(0)) : Quote(reader.GetString(0)) + "@" + Quote(reader.GetString(1)));
        }
        if (roles.Count == 0) return false;
        var statements = isMariaDb
            ? roles.Select(role => $"SHOW GRANTS FOR {role}").ToList()
            : [$"SHOW GRANTS FOR CURRENT_USER() USING {string.Join(", ", roles)}"];
        foreach (var statement in statements)
        {
            foreach (var grant in await connection.QueryAsync<string>(new CommandDefinition(statement, cancellationToken: cancellationToken)))
            {
                // e.g. GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `relay_role`
                var on = grant.IndexOf(" ON *.* TO ", StringComparison.OrdinalIgnoreCase);
                if (on < 0 || !grant.StartsWith("GRANT ", StringComparison.OrdinalIgnoreCase)) continue;
                var rights = grant[6..on];
                if (rights.Contains("REPLICATION SLAVE", StringComparison.OrdinalIgnoreCase) ||
                    rights.Contains("REPLICATION REPLICA", StringComparison.OrdinalIgnoreCase) ||
                    rights.Contains("ALL PRIVILEGES", StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A replica registered with this source's server id: the server would drop one of the two. A relay of this very source
    /// registers with it too, so the clash counts only while nobody holds the source's lease. Listing replicas needs a right
    /// the relay's user rarely has (MariaDB: REPLICATION MASTER ADMIN); without it the check is skipped.
    /// </summary>
    private async Task CheckServerIdAsync(MySqlConnection connection, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        var isMariaDb = connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        foreach (var statement in isMariaDb ? ["SHOW SLAVE HOSTS"] : new[] { "SHOW REPLICAS", "SHOW SLAVE HOSTS" })
        {
            try
            {
                string? clash = null;
                await using (var cmd = new MySqlCommand(statement, connection))
                await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
                {
                    while (clash is null && await reader.ReadAsync(cancellationToken))
                    {
                        if (Convert.ToUInt32(reader.GetValue(0), CultureInfo.InvariantCulture) == options.ServerId)
                            clash = $"{reader.GetValue(1)}:{reader.GetValue(2)}"; // host and port
                    }
                }
                if (clash is not null && await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                        "SELECT CAST(IS_USED_LOCK(@lease) AS SIGNED)", new { lease = MySqlLease.LockNameOf(sourceName) }, cancellationToken: cancellationToken)) is null)
                    problems.Add(new SetupProblem(
                        $"Source '{sourceName}': the replica at {clash} is registered with server id {options.ServerId}, this source's, and no relay of this source is running.",
                        $"Set {ConfigKeys.Describe(section, "ServerId")} to a number unique among the server, its replicas and every binlog reader."));
                return;
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.ParseError)
            {
                // SHOW REPLICAS is MySQL 8.0.22+; older servers know only SHOW SLAVE HOSTS.
            }
            catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.AccessDenied)
            {
                return;
            }
        }
    }
}
