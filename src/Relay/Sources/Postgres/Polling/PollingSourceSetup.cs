using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// Checks and setup of a polling source. The checks are the ones the relay runs when it starts (the shared
/// polling core's table inspection: columns, types, rights), plus its warnings (a missing index) as warnings.
/// The script creates the table with its order column (and mark and timestamp columns when configured), the
/// index polling needs, and grants the role SELECT, UPDATE and DELETE.
/// </summary>
internal sealed class PollingSourceSetup(string sourceName, PostgresPollingOptions options, IConfigurationSection section) : ISourceSetup
{
    public IReadOnlyList<SetupStep> Script()
    {
        var table = options.Table;
        var extra = new List<string> { $"{PostgresTableName.Quote(options.OrderColumn)} bigint GENERATED ALWAYS AS IDENTITY" };
        if (options.AfterPublish == AfterPublish.Mark) extra.Add($"{PostgresTableName.Quote(options.MarkColumn)} timestamptz");
        if (!string.IsNullOrWhiteSpace(options.TimestampColumn)) extra.Add($"{PostgresTableName.Quote(options.TimestampColumn)} timestamptz NOT NULL DEFAULT now()");
        var steps = PostgresSetupSql.OutboxTable(table, options.Outbox, extra).ToList();
        var where = options.AfterPublish == AfterPublish.Mark ? $" WHERE {PostgresTableName.Quote(options.MarkColumn)} IS NULL" : "";
        var index = PostgresTableName.Quote($"{table.Table}_{options.OrderColumn}_relay");
        steps.Add(new SetupStep("the index polling reads in order", $"CREATE INDEX IF NOT EXISTS {index} ON {table.Quoted} ({PostgresTableName.Quote(options.OrderColumn)}){where}"));
        var rights = options.AfterPublish == AfterPublish.Delete ? "SELECT, UPDATE, DELETE" : "SELECT, UPDATE";
        steps.Add(new SetupStep("the relay role's rights (polling locks rows FOR UPDATE, then deletes or marks them)",
            $"GRANT {rights} ON {table.Quoted} TO {PostgresSetupSql.Role(options.ConnectionString)}"));
        return steps;
    }

    public Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken) =>
        PostgresSetupSql.ApplyAsync(options.ConnectionString, sourceName, Script(), cancellationToken);

    public async Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken)
    {
        var (connection, problem) = await PostgresSetupSql.ConnectAsync(options.ConnectionString, sourceName, cancellationToken);
        if (connection is null) return [problem!];
        await using var _ = connection;
        var problems = new List<SetupProblem>();
        var warnings = new WarningCollector();
        await using var dialect = new PostgresPollingDialect(sourceName, options);
        try
        {
            await PolledTable.InspectAsync(connection, dialect, options, section, warnings, sourceName, cancellationToken);
        }
        catch (RelayFatalException e)
        {
            problems.Add(new SetupProblem($"Source '{sourceName}': {e.Message}",
                $"Apply the fix named above, or create the table with `relay setup --apply --source {sourceName}`."));
        }
        problems.AddRange(warnings.Messages.Select(m => new SetupProblem(m, "See the statement in the message.") { IsWarning = true }));

        if (!string.IsNullOrWhiteSpace(options.TimestampColumn) && await PostgresSetupSql.ColumnsAsync(connection, options.Table, cancellationToken) is { } columns
            && !columns.Contains(options.TimestampColumn))
            problems.Add(new SetupProblem($"Source '{sourceName}': TimestampColumn names {options.TimestampColumn}, which the outbox table {options.Table} lacks, so the age of waiting rows cannot be measured.",
                $"ALTER TABLE {options.Table.Quoted} ADD COLUMN {PostgresTableName.Quote(options.TimestampColumn)} timestamptz NOT NULL DEFAULT now(); or remove Relay:Sources:{sourceName}:TimestampColumn.")
            { IsWarning = true });
        return problems;
    }

    /// <summary>Turns the warnings the start-up inspection logs into check results.</summary>
    private sealed class WarningCollector : ILogger
    {
        public List<string> Messages { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) Messages.Add(formatter(state, exception));
        }
    }
}
