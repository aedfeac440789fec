using System.Net.Sockets;
using MySqlConnector;
using Relay.Binlog.Protocol;

namespace Relay.Sources.MySql;

/// <summary>What both MySQL kinds' setups share: the connection, the outbox table's DDL, the grants and running the script.</summary>
internal static class MySqlSetupSql
{
    public static async Task<(MySqlConnection? Connection, SetupProblem? Problem)> ConnectAsync(string connectionString, string sourceName, CancellationToken cancellationToken)
    {
        MySqlAuthentication.EnsureRegistered(); // ed25519 logins
        var builder = new MySqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"relay-setup:{sourceName}",
            AllowUserVariables = true, // the conditional index statement keeps its text in a user variable
        };
        var connection = new MySqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return (connection, null);
        }
        catch (Exception e) when (e is MySqlException or TimeoutException or SocketException)
        {
            await connection.DisposeAsync();
            return (null, new SetupProblem(
                $"Cannot connect to the database of source '{sourceName}': {e.Message}",
                "Check Server, Port, Database, User ID and Password in its ConnectionString, that the server lets this user in from this host, " +
                "and the TLS settings (SslMode=Required or VerifyFull, SslCa=...)."));
        }
    }

    /// <summary>
    /// CREATE TABLE IF NOT EXISTS of the README's MySQL outbox ("The outbox table") with the configured column names, plus
    /// <paramref name="extraColumns"/>; and the database first when the table is not in the connection's.
    /// </summary>
    public static IEnumerable<SetupStep> OutboxTable(MySqlTableName table, string connectionString, OutboxTableOptions outbox, IEnumerable<string> extraColumns)
    {
        if (!string.Equals(table.Schema, new MySqlConnectionStringBuilder(connectionString).Database, StringComparison.Ordinal))
            yield return new SetupStep("the outbox table's database", $"CREATE DATABASE IF NOT EXISTS {MySqlTableName.Quote(table.Schema)}");
        string Quote(string name) => MySqlTableName.Quote(name);
        var columns = new List<string>
        {
            $"{Quote(outbox.IdColumn)} CHAR(36) NOT NULL PRIMARY KEY DEFAULT (UUID())",
            $"{Quote(outbox.AggregateTypeColumn)} VARCHAR(255) NOT NULL",
            $"{Quote(outbox.AggregateIdColumn)} VARCHAR(255) NOT NULL",
        };
        if (!string.IsNullOrWhiteSpace(outbox.TypeColumn)) columns.Add($"{Quote(outbox.TypeColumn)} VARCHAR(255) NOT NULL");
        columns.Add($"{Quote(outbox.PayloadColumn)} JSON");
        if (!string.IsNullOrWhiteSpace(outbox.TraceParentColumn)) columns.Add($"{Quote(outbox.TraceParentColumn)} VARCHAR(55)");
        foreach (var column in outbox.HeaderColumns.Values.Distinct(StringComparer.Ordinal)) columns.Add($"{Quote(column)} VARCHAR(255)");
        columns.AddRange(extraColumns);
        yield return new SetupStep("the outbox table (services insert their events here)",
            $"CREATE TABLE IF NOT EXISTS {table.Quoted} (\n  {string.Join(",\n  ", columns)}\n) ENGINE=InnoDB");
    }

    /// <summary>
    /// The grants as comments for an administrator: only an account holding a right WITH GRANT OPTION may grant it, which
    /// the relay's own account rarely does, and the account's host part is the administrator's to choose. The checks of
    /// `validate --connect` report a missing right with its statement.
    /// </summary>
    public static SetupStep Grants(string purpose, IEnumerable<string> statements) =>
        new(purpose + " (as an administrator; adjust the host part)", string.Join("\n", statements.Select(s => "-- " + s)));

    /// <summary>Runs the steps in order (comments are for an administrator and skipped); the first failure is returned with its fix.</summary>
    public static async Task<SetupProblem?> ApplyAsync(string connectionString, string sourceName, IReadOnlyList<SetupStep> steps, CancellationToken cancellationToken)
    {
        var (connection, problem) = await ConnectAsync(connectionString, sourceName, cancellationToken);
        if (connection is null) return problem;
        await using (connection)
        {
            foreach (var step in steps.Where(s => !s.IsForAdministrator))
            {
                try
                {
                    await using var cmd = new MySqlCommand(step.Sql, connection);
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (MySqlException e)
                {
                    var rights = e.ErrorCode is MySqlErrorCode.TableAccessDenied or MySqlErrorCode.DatabaseAccessDenied or MySqlErrorCode.AccessDenied
                        or MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.ColumnAccessDenied;
                    return new SetupProblem(
                        $"Source '{sourceName}': creating {step.Purpose} failed: {(int)e.ErrorCode} {e.Message}",
                        rights
                            ? "Run `relay setup --apply` with a connection string of a user that may (CREATE and INDEX on the database), or run the printed script as such a user."
                            : "Fix what the error names, then run `relay setup --apply` again: every step is idempotent.");
                }
            }
        }
        return null;
    }
}
