using System.Data.Common;
using System.Globalization;
using System.Text;
using MySqlConnector;
using Relay.Binlog.Events;
using Relay.Sources.Polling;

namespace Relay.Sources.MySql.Polling;

/// <summary>
/// MySQL's and MariaDB's part of polling. The poll is a consistent read at READ COMMITTED, not a locking one:
/// InnoDB's locking reads wait for every row a writer inserted and has not committed yet (and at REPEATABLE READ
/// also lock the gaps writers insert into), so a poll would queue behind the writers. A consistent read sees what
/// has committed, as a Postgres snapshot does, so a late-committing row is simply picked up by a later poll.
/// Rows a stale relay holds are read too, and published in order; that relay is fenced in the sink, and the
/// release waits for its locks, bounded by the lock wait timeout.
/// </summary>
internal sealed class MySqlPollingDialect(string sourceName, MySqlPollingOptions options) : PollingDialect
{
    private readonly MySqlTableName _table = options.Table;

    public override string PositionPrefix => PolledPosition.MySqlPrefix;

    public override string Table => _table.Quoted;

    public override async Task<DbConnection> OpenAsync(TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(options.ConnectionString)
        {
            ApplicationName = $"relay-poll:{sourceName}",
            // Values are read in the normal form: TINYINT(1) is a number (as the binlog has it), zero dates are kept.
            TreatTinyAsBoolean = false,
            GuidFormat = MySqlGuidFormat.None, // CHAR(36) is text, BINARY(16) bytes: what the binlog has
            AllowZeroDateTime = true,
            ConvertZeroDateTime = false,
        };
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        try
        {
            // A poll's transaction locks the rows it hands out: the server must end the session of a relay cut off from it
            // (rolling back, freeing them for the replica that took the lease over) soon after it drops its lease, yet never
            // between two polls of a live one, nor while a slow sink commits the batch (10 s of slack; a session ended then
            // only costs a restart that redoes the release from the sink's committed position).
            var waitTimeout = options.Lease.TimeoutSeconds + (long)Math.Ceiling(2 * options.PollInterval.TotalSeconds) + 10;
            await using var cmd = new MySqlCommand(
                $"SET SESSION innodb_lock_wait_timeout = {Math.Max(1, (long)lockTimeout.TotalSeconds)}, SESSION time_zone = '+00:00', " +
                $"SESSION wait_timeout = {waitTimeout}, SESSION interactive_timeout = {waitTimeout}; " +
                "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", connection);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override async Task<List<PolledColumn>?> ReadColumnsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("""
            SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE = 'NO', ORDINAL_POSITION, COLUMN_TYPE
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table
            ORDER BY ORDINAL_POSITION
            """, (MySqlConnection)connection);
        cmd.Parameters.AddWithValue("@schema", _table.Schema);
        cmd.Parameters.AddWithValue("@table", _table.Table);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var columns = new List<PolledColumn>();
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(new PolledColumn(reader.GetString(0), reader.GetString(1).ToLowerInvariant(), reader.GetInt64(2) == 1,
                Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture), Detail: reader.GetString(4).ToLowerInvariant()));
        }
        // information_schema shows only what the user may see: no columns means no table, or no rights on it.
        return columns.Count == 0 ? null : columns;
    }

    /// <summary>
    /// Runs the statements polling runs, matching no rows, and rolls back: the server checks the rights of each
    /// (SELECT, and DELETE or, for the mark, UPDATE) whatever the rows.
    /// </summary>
    public override async Task CheckPrivilegesAsync(DbConnection connection, AfterPublish afterPublish, CancellationToken cancellationToken)
    {
        var mysql = (MySqlConnection)connection;
        var statements = new List<(string Right, string Sql)>
        {
            ("SELECT", $"SELECT 1 FROM {Table} WHERE 1 = 0"),
            afterPublish == AfterPublish.Delete
                ? ("DELETE", $"DELETE FROM {Table} WHERE 1 = 0")
                : ("UPDATE", $"UPDATE {Table} SET {Quote(options.MarkColumn)} = {Quote(options.MarkColumn)} WHERE 1 = 0"),
        };
        var missing = new List<string>();
        await using (var transaction = await mysql.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (right, sql) in statements)
            {
                try
                {
                    await using var cmd = new MySqlCommand(sql, mysql, transaction);
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.TableAccessDenied or MySqlErrorCode.ColumnAccessDenied)
                {
                    if (!missing.Contains(right)) missing.Add(right);
                }
            }
            await transaction.RollbackAsync(cancellationToken);
        }
        if (missing.Count == 0) return;
        var grantee = await MySqlAccount.CurrentAsync(mysql, cancellationToken);
        throw new RelayFatalException(
            $"The user {grantee} lacks {string.Join(", ", missing)} on the outbox table {Table} (polling reads the rows, then " +
            $"{(afterPublish == AfterPublish.Delete ? "deletes" : "marks")} them). Grant it: GRANT SELECT, {(afterPublish == AfterPublish.Delete ? "DELETE" : "UPDATE")} ON {Table} TO {grantee};");
    }

    public override async Task<bool> HasIndexLedByAsync(DbConnection connection, PolledColumn column, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("""
            SELECT COUNT(*) FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = @column
            """, (MySqlConnection)connection);
        cmd.Parameters.AddWithValue("@schema", _table.Schema);
        cmd.Parameters.AddWithValue("@table", _table.Table);
        cmd.Parameters.AddWithValue("@column", column.Name);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
    }

    public override string Quote(string identifier) => MySqlTableName.Quote(identifier);

    public override bool IsInteger(PolledColumn column) => column.Type is "tinyint" or "smallint" or "mediumint" or "int" or "bigint";

    public override bool IsTimestamp(PolledColumn column) => column.Type is "datetime" or "timestamp";

    public override string SuggestedType(PolledColumnRole role) => role switch
    {
        PolledColumnRole.Id => "CHAR(36)",
        PolledColumnRole.Payload => "JSON",
        PolledColumnRole.Order => "BIGINT NOT NULL AUTO_INCREMENT UNIQUE",
        PolledColumnRole.Mark => "DATETIME(6)",
        PolledColumnRole.Timestamp => "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
        _ => "VARCHAR(255)",
    };

    public override string SetNotNullSql(PolledColumn column) => $"ALTER TABLE {Table} MODIFY {Quote(column.Name)} {column.Detail} NOT NULL;";

    public override string SelectExpression(PolledColumn column) => Quote(column.Name);

    public override DbCommand CreatePollCommand(DbConnection connection, string select, PolledColumn order, string? unpublished, int limit)
    {
        var where = unpublished is null ? "" : $" WHERE {unpublished}";
        var cmd = new MySqlCommand($"SELECT {select} FROM {Table}{where} ORDER BY {Quote(order.Name)} LIMIT @limit", (MySqlConnection)connection);
        cmd.Parameters.AddWithValue("@limit", limit);
        return cmd;
    }

    /// <summary>The ids are integers the poll read, so they go into the statement as literals: one round trip, any count.</summary>
    public override DbCommand CreateReleaseCommand(DbConnection connection, DbTransaction transaction, PolledColumn order, PolledColumn? mark, long[] ids)
    {
        var list = new StringBuilder(ids.Length * 8);
        foreach (var id in ids)
        {
            if (list.Length > 0) list.Append(',');
            list.Append(id.ToString(CultureInfo.InvariantCulture));
        }
        var column = Quote(order.Name);
        var sql = mark is null
            ? $"DELETE FROM {Table} WHERE {column} IN ({list})"
            : $"UPDATE {Table} SET {Quote(mark.Name)} = CURRENT_TIMESTAMP(6) WHERE {column} IN ({list}) AND {Quote(mark.Name)} IS NULL";
        return new MySqlCommand(sql, (MySqlConnection)connection, (MySqlTransaction)transaction);
    }

    public override object? ReadValue(DbDataReader reader, int ordinal, PolledColumn column)
    {
        var mysql = (MySqlDataReader)reader;
        var unsigned = column.Detail?.Contains("unsigned", StringComparison.Ordinal) == true;
        switch (column.Type)
        {
            case "tinyint" or "smallint" or "mediumint" or "int" or "bigint":
                return unsigned ? MySqlValueText.Integer(mysql.GetUInt64(ordinal)) : MySqlValueText.Integer(mysql.GetInt64(ordinal));
            case "year":
                return MySqlValueText.Year(mysql.GetInt32(ordinal));
            case "decimal":
                return mysql.GetMySqlDecimal(ordinal).ToString();
            case "float":
                return MySqlValueText.Float(mysql.GetFloat(ordinal));
            case "double":
                return MySqlValueText.Double(mysql.GetDouble(ordinal));
            case "date":
                var date = mysql.GetMySqlDateTime(ordinal);
                return MySqlValueText.Date(date.Year, date.Month, date.Day);
            case "datetime" or "timestamp":
                // The session's time zone is UTC, so a TIMESTAMP comes as the instant in UTC.
                var at = mysql.GetMySqlDateTime(ordinal);
                return MySqlValueText.DateTime(at.Year, at.Month, at.Day, at.Hour, at.Minute, at.Second, at.Microsecond, utc: column.Type == "timestamp");
            case "time":
                var time = mysql.GetTimeSpan(ordinal);
                var negative = time < TimeSpan.Zero;
                if (negative) time = time.Negate();
                return MySqlValueText.Time(negative, (int)time.TotalHours, time.Minutes, time.Seconds, (int)(time.Ticks % TimeSpan.TicksPerSecond / 10));
            case "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" or "bit" or "geometry" or "point"
                or "linestring" or "polygon" or "multipoint" or "multilinestring" or "multipolygon" or "geometrycollection":
                return mysql.GetFieldValue<byte[]>(ordinal);
            default:
                // char, varchar, text, enum, set, json (MySQL's as text; MariaDB's is longtext), uuid (MariaDB 10.7+), inet
                return mysql.GetString(ordinal);
        }
    }

    public override bool IsLockTimeout(Exception exception) => exception is MySqlException { ErrorCode: MySqlErrorCode.LockWaitTimeout };

    public override bool IsColumnGone(Exception exception) => exception is MySqlException { ErrorCode: MySqlErrorCode.BadFieldError };

    public override string BlockingSessionHint =>
        "SELECT * FROM information_schema.INNODB_LOCK_WAITS (MariaDB) or performance_schema.data_lock_waits (MySQL 8), and SHOW PROCESSLIST";

    public override string LeaseHeldSql => "IS_USED_LOCK(@lease_name) IS NOT NULL";

    public override string LeaseName => MySqlLease.LockNameOf(sourceName);

    /// <summary>The session's time zone is UTC: a TIMESTAMP comes as UTC, a DATETIME is taken as UTC.</summary>
    public override string SecondsSince(string column) => $"TIMESTAMPDIFF(MICROSECOND, {Quote(column)}, UTC_TIMESTAMP(6)) / 1000000";
}
