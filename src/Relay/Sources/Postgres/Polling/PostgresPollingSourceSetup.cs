using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// PostgreSQL's polling setup: the table with its order column (and mark and timestamp columns when configured), the
/// index polling reads by (partial, over unmarked rows, in Mark mode), and SELECT, UPDATE and DELETE for the role.
/// </summary>
internal sealed class PostgresPollingSourceSetup(string sourceName, PostgresPollingOptions options, IConfigurationSection section)
    : PollingSourceSetup(sourceName, options, section, new PostgresPollingDialect(sourceName, options))
{
    public override IReadOnlyList<SetupStep> Script()
    {
        var table = options.Table;
        var steps = PostgresSetupSql.OutboxTable(table, options.Outbox, PollingColumns()).ToList();
        var where = options.AfterPublish == AfterPublish.Mark ? $" WHERE {PostgresTableName.Quote(options.MarkColumn)} IS NULL" : "";
        var index = PostgresTableName.Quote($"{table.Table}_{options.OrderColumn}_relay");
        steps.Add(new SetupStep("the index polling reads in order", $"CREATE INDEX IF NOT EXISTS {index} ON {table.Quoted} ({PostgresTableName.Quote(options.OrderColumn)}){where}"));
        var rights = options.AfterPublish == AfterPublish.Delete ? "SELECT, UPDATE, DELETE" : "SELECT, UPDATE";
        steps.Add(new SetupStep("the relay role's rights (polling locks rows FOR UPDATE, then deletes or marks them)",
            $"GRANT {rights} ON {table.Quoted} TO {PostgresSetupSql.Role(options.ConnectionString)}"));
        return steps;
    }

    public override Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken) =>
        PostgresSetupSql.ApplyAsync(options.ConnectionString, SourceName, Script(), cancellationToken);

    protected override async Task<(DbConnection? Connection, SetupProblem? Problem)> ConnectAsync(CancellationToken cancellationToken) =>
        await PostgresSetupSql.ConnectAsync(options.ConnectionString, SourceName, cancellationToken);
}
