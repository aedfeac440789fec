using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Relay.Sources.Polling;

namespace Relay.Sources.MySql.Polling;

/// <summary>
/// MySQL's and MariaDB's polling setup: the README's outbox table with its order column's UNIQUE key (and mark and
/// timestamp columns when configured), an index on the order column for a table that had none, and the grants.
/// </summary>
internal sealed class MySqlPollingSourceSetup(string sourceName, MySqlPollingOptions options, IConfigurationSection section)
    : PollingSourceSetup(sourceName, options, section, new MySqlPollingDialect(sourceName, options))
{
    public override IReadOnlyList<SetupStep> Script()
    {
        var table = options.Table;
        var steps = MySqlSetupSql.OutboxTable(table, options.ConnectionString, options.Outbox, PollingColumns()).ToList();
        steps.Add(new SetupStep("the index polling reads in order, unless one starts with the order column", IndexSql(table)));
        var release = options.AfterPublish == AfterPublish.Delete ? "DELETE" : "UPDATE";
        steps.Add(MySqlSetupSql.Grants("the relay user's rights (polling reads the rows, then deletes or marks them)",
            [$"GRANT SELECT, {release} ON {table.Quoted} TO {MySqlAccount.Of(options.ConnectionString)};"]));
        return steps;
    }

    /// <summary>MySQL has no CREATE INDEX IF NOT EXISTS: the statement is chosen by the catalog and run as a prepared statement.</summary>
    private string IndexSql(MySqlTableName table)
    {
        static string Literal(string text) => "'" + text.Replace("\\", "\\\\").Replace("'", "''") + "'";
        var create = $"CREATE INDEX {MySqlTableName.Quote($"{table.Table}_{options.OrderColumn}_relay")} ON {table.Quoted} ({MySqlTableName.Quote(options.OrderColumn)})";
        return $"""
            SET @relay_index = IF((SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {Literal(table.Schema)}
                AND TABLE_NAME = {Literal(table.Table)} AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = {Literal(options.OrderColumn)}) > 0,
              'DO 0', {Literal(create)});
            PREPARE relay_index FROM @relay_index;
            EXECUTE relay_index;
            DEALLOCATE PREPARE relay_index
            """;
    }

    public override Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken) =>
        MySqlSetupSql.ApplyAsync(options.ConnectionString, SourceName, Script(), cancellationToken);

    protected override async Task<(DbConnection? Connection, SetupProblem? Problem)> ConnectAsync(CancellationToken cancellationToken) =>
        await MySqlSetupSql.ConnectAsync(options.ConnectionString, SourceName, cancellationToken);
}
