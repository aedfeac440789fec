using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Relay.Binlog.Gtids;
using Relay.Binlog.Protocol;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// The server a binlog source reads, as checked before streaming: its flavor and identity, where its binlog
/// stands now, and whether its settings let Relay read every outbox row. What retrying cannot fix (binary
/// logging off, statement-based logging, a missing right, a clashing server id) is one fatal error naming each fix.
/// `relay validate --connect` runs the same checks (<see cref="CheckAsync"/>) and prints each problem with its fix.
/// </summary>
internal sealed record BinlogServer(
    bool IsMariaDb,
    string Identity,
    string CurrentFile,
    ulong CurrentPosition,
    string CurrentGtids,
    bool FullRowMetadata,
    IReadOnlyList<BinlogFile> BinlogFiles,
    int LowerCaseTableNames = 0)
{
    /// <summary>
    /// How the server compares table and database names: as stored with lower_case_table_names=0; lower-cased with 1
    /// (it also stores them lower-cased, so the binlog names shop.outbox for a configured Shop.Outbox) and with 2 (stored
    /// as given, compared lower-cased).
    /// </summary>
    public StringComparer TableNameComparer => LowerCaseTableNames == 0 ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    /// <summary>Where the binlog stands now: SHOW MASTER STATUS (SHOW BINARY LOG STATUS since MySQL 8.4).</summary>
    public static async Task<(string File, ulong Position)> CurrentPositionAsync(string connectionString, bool isMariaDb, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var problems = new List<SetupProblem>();
        var (file, position, _) = await StatusAsync(connection, isMariaDb, "", problems, cancellationToken);
        return problems.Count > 0 ? throw new RelayFatalException(problems[0].Problem + " " + problems[0].Fix) : (file, position);
    }

    /// <summary>The checks at start: errors throw a <see cref="RelayFatalException"/> naming every fix; warnings are logged.</summary>
    public static async Task<BinlogServer> InspectAsync(
        MySqlBinlogOptions options, string sourceName, IConfigurationSection section, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(options.ConnectionString) { Pooling = false, ApplicationName = $"relay-setup:{sourceName}" };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var (server, problems) = await CheckAsync(connection, options, section, cancellationToken);
        foreach (var warning in problems.Where(p => p.IsWarning))
            logger.LogWarning("Source {Source}: {Problem} {Fix}", sourceName, warning.Problem, warning.Fix);
        if (server is null)
            throw new RelayFatalException($"Source '{sourceName}' cannot tail the binlog of this server:{Environment.NewLine}  - " +
                                          string.Join($"{Environment.NewLine}  - ", problems.Where(p => !p.IsWarning).Select(p => $"{p.Problem} {p.Fix}")));
        return server;
    }

    /// <summary>Every problem of the server's settings, the user's rights on the binlog and the outbox table; the server is null when one is an error.</summary>
    public static async Task<(BinlogServer? Server, List<SetupProblem> Problems)> CheckAsync(
        MySqlConnection connection, MySqlBinlogOptions options, IConfigurationSection section, CancellationToken cancellationToken)
    {
        var version = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT VERSION()", cancellationToken: cancellationToken)) ?? "";
        var isMariaDb = version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        var settings = await VariablesAsync(connection,
            ["log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata", "server_id", "server_uuid", "gtid_mode", "lower_case_table_names"],
            cancellationToken);
        string? Setting(string name) => settings.GetValueOrDefault(name);
        var user = new MySqlConnectionStringBuilder(connection.ConnectionString).UserID;

        var problems = new List<SetupProblem>();
        var config = isMariaDb ? "the [mariadb] section of the server's configuration" : "the [mysqld] section of the server's configuration";
        if (!string.Equals(Setting("log_bin"), "ON", StringComparison.OrdinalIgnoreCase) && Setting("log_bin") != "1")
            problems.Add(new SetupProblem("The server's binary log is off (log_bin).",
                $"Turn it on in {config} (log_bin = mysql-bin, server_id = 1) and restart the server."));
        if (!string.Equals(Setting("binlog_format"), "ROW", StringComparison.OrdinalIgnoreCase))
            problems.Add(new SetupProblem($"The server logs in {Setting("binlog_format")} format; binlog tailing needs the rows.",
                $"Set binlog_format = ROW in {config} and SET GLOBAL binlog_format = 'ROW' (sessions started before keep their format until they reconnect)."));
        if (!string.Equals(Setting("binlog_row_image"), "FULL", StringComparison.OrdinalIgnoreCase))
            problems.Add(new SetupProblem($"The server's binlog_row_image is {Setting("binlog_row_image")}; Relay needs every column of an inserted row.",
                $"Set binlog_row_image = FULL in {config} and SET GLOBAL binlog_row_image = 'FULL'."));
        var fullRowMetadata = string.Equals(Setting("binlog_row_metadata"), "FULL", StringComparison.OrdinalIgnoreCase);
        if (!fullRowMetadata)
            problems.Add(new SetupProblem(
                $"The server's binlog_row_metadata is {Setting("binlog_row_metadata") ?? "missing"}, not FULL, so the outbox's column names come from " +
                "information_schema as the table is now; rows logged before an ALTER TABLE of the outbox would be read with the new names.",
                $"Set binlog_row_metadata = FULL in {config} and SET GLOBAL binlog_row_metadata = 'FULL' (MySQL 8.0.1+, MariaDB 10.5+).") { IsWarning = true });

        var serverId = Setting("server_id");
        if (serverId is not null && uint.TryParse(serverId, CultureInfo.InvariantCulture, out var ownId) && ownId == options.ServerId)
            problems.Add(new SetupProblem($"{ConfigKeys.Describe(section, "ServerId")} is {options.ServerId}, the server's own server_id.",
                "Choose a number unique among the server, its replicas and every binlog reader."));

        var (file, position, executed) = await StatusAsync(connection, isMariaDb, user, problems, cancellationToken);
        var files = problems.Any(p => !p.IsWarning) ? [] : await BinlogFilesAsync(connection, cancellationToken);
        await CheckTableAsync(connection, options, section, user, problems, cancellationToken);
        if (problems.Any(p => !p.IsWarning)) return (null, problems);

        // The GTIDs as of exactly that file/position. MariaDB computes them from the file/position itself. MySQL's
        // status row reads gtid_executed and the file/position under different locks (a commit between the two leaves a
        // transaction before the position out of the set): performance_schema.log_status reads all three under one
        // (8.0.14+, BACKUP_ADMIN); without it the first dump goes by gtid_executed alone, which the server completes.
        string gtids;
        var byGtidSet = false;
        if (isMariaDb)
        {
            gtids = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT BINLOG_GTID_POS(@file, @pos)", new { file, pos = position }, cancellationToken: cancellationToken)) ?? "";
        }
        else if (string.Equals(Setting("gtid_mode"), "ON", StringComparison.OrdinalIgnoreCase))
        {
            if (await LogStatusAsync(connection, cancellationToken) is { } snapshot)
            {
                (file, position, gtids) = snapshot;
            }
            else
            {
                // Read after the file/position: the set covers every transaction before it, and the dump starts from the set.
                gtids = (await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT @@GLOBAL.gtid_executed", cancellationToken: cancellationToken)) ?? executed)
                    .Replace("\n", "");
                byGtidSet = true;
            }
        }
        else
        {
            gtids = "";
        }
        var server = new BinlogServer(
            isMariaDb,
            isMariaDb ? serverId ?? "" : Setting("server_uuid") ?? "",
            file,
            position,
            gtids,
            fullRowMetadata,
            files,
            int.TryParse(Setting("lower_case_table_names"), CultureInfo.InvariantCulture, out var lowerCase) ? lowerCase : 0) { FirstStartByGtidSet = byGtidSet };
        return (server, problems);
    }

    /// <summary>
    /// True when only the GTIDs of the current position are exact (MySQL without access to log_status): a first start
    /// then dumps by that GTID set, and the file/position is where the binlog stood just before.
    /// </summary>
    public bool FirstStartByGtidSet { get; init; }

    /// <summary>Where a first start's dump begins: exactly where the binlog stands, by file/position or by the GTID set of that point.</summary>
    public BinlogStartPosition FirstStart => FirstStartByGtidSet
        ? BinlogStartPosition.FromMySqlGtidSet(MySqlGtidSet.Parse(CurrentGtids).Encode())
        : BinlogStartPosition.FromFile(CurrentFile, CurrentPosition);

    /// <summary>
    /// MySQL's performance_schema.log_status LOCAL column: {"gtid_executed": ..., "binary_log_file": ..., "binary_log_position": ...},
    /// taken under the locks that keep the three consistent. Null when the server has no such table (before 8.0.14) or the
    /// user lacks BACKUP_ADMIN.
    /// </summary>
    private static async Task<(string File, ulong Position, string Gtids)?> LogStatusAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var local = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT LOCAL FROM performance_schema.log_status", cancellationToken: cancellationToken));
            return local is null ? null : ParseLogStatus(local);
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.TableAccessDenied or
                                           MySqlErrorCode.NoSuchTable or MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
        {
            return null;
        }
    }

    internal static (string File, ulong Position, string Gtids)? ParseLogStatus(string localJson)
    {
        using var json = JsonDocument.Parse(localJson);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object ||
            !root.TryGetProperty("binary_log_file", out var file) || file.ValueKind != JsonValueKind.String ||
            !root.TryGetProperty("binary_log_position", out var position) || !position.TryGetUInt64(out var pos) ||
            !root.TryGetProperty("gtid_executed", out var gtids) || gtids.ValueKind != JsonValueKind.String)
            return null; // binary logging off, or a shape this version does not know: the GTID-set start does without it
        return (file.GetString()!, pos, gtids.GetString()!.Replace("\n", ""));
    }

    /// <summary>Variables a server does not have (binlog_row_metadata before MySQL 8.0.1 / MariaDB 10.5) are absent from the result.</summary>
    private static async Task<Dictionary<string, string>> VariablesAsync(MySqlConnection connection, string[] names, CancellationToken cancellationToken)
    {
        // SHOW works on both (MySQL 8 has no information_schema.GLOBAL_VARIABLES); the names are constants.
        var rows = await connection.QueryAsync<(string Name, string? Value)>(new CommandDefinition(
            $"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({string.Join(", ", names.Select(n => $"'{n}'"))})", cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Name, r => r.Value ?? "", StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The binlog file and position the server writes next (SHOW MASTER STATUS; SHOW BINARY LOG STATUS since MySQL 8.4).</summary>
    private static async Task<(string File, ulong Position, string ExecutedGtids)> StatusAsync(
        MySqlConnection connection, bool isMariaDb, string user, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        foreach (var statement in isMariaDb ? ["SHOW MASTER STATUS"] : new[] { "SHOW BINARY LOG STATUS", "SHOW MASTER STATUS" })
        {
            try
            {
                await using var cmd = new MySqlCommand(statement, connection);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                    return (reader.GetString(0), Convert.ToUInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                        !isMariaDb && reader.FieldCount > 4 && !reader.IsDBNull(4) ? reader.GetString(4) : "");
                problems.Add(new SetupProblem("The server reports no binary log (SHOW MASTER STATUS is empty).", "Turn on log_bin and restart the server."));
                return ("", 0, "");
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.ParseError && !isMariaDb)
            {
                // SHOW BINARY LOG STATUS is MySQL 8.4's name; older servers know only SHOW MASTER STATUS.
            }
            catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
            {
                var right = isMariaDb ? "BINLOG MONITOR" : "REPLICATION CLIENT";
                problems.Add(new SetupProblem($"The user '{user}' may not read where the binlog stands ({e.Message}).",
                    $"Grant it: GRANT REPLICATION SLAVE, {right} ON *.* TO '{user}'@'%';"));
                return ("", 0, "");
            }
        }
        return ("", 0, "");
    }

    /// <summary>The binlog files the server keeps, oldest first, with their sizes (SHOW BINARY LOGS).</summary>
    public static async Task<List<BinlogFile>> BinlogFilesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        // MySQL 8 adds a third column (Encrypted): read by position.
        await using var cmd = new MySqlCommand("SHOW BINARY LOGS", connection);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var files = new List<BinlogFile>();
        while (await reader.ReadAsync(cancellationToken))
            files.Add(new BinlogFile(reader.GetString(0), Convert.ToUInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
        return files;
    }

    /// <summary>A misnamed outbox would never show a row, silently: the table must be there (information_schema shows tables the user has any right on).</summary>
    private static async Task CheckTableAsync(
        MySqlConnection connection, MySqlBinlogOptions options, IConfigurationSection section, string user, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        var table = options.Table;
        var found = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table",
            new { schema = table.Schema, table = table.Table }, cancellationToken: cancellationToken));
        if (found == 0)
            problems.Add(new SetupProblem($"The outbox table {table} does not exist, or the user '{user}' has no right on it.",
                $"Create it (`relay setup --apply --source {section.Key}`), set {ConfigKeys.Describe(section, "Outbox:Table")} to database.table, " +
                $"or grant: GRANT SELECT ON {table} TO '{user}'@'%';"));
    }
}
