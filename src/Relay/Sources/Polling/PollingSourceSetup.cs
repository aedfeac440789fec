using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Relay.Sources.Polling;

/// <summary>
/// Checks and setup of a polling source, whatever its database. The checks are the ones the relay runs when it starts
/// (<see cref="PolledTable.InspectAsync"/>: columns, types, rights), its warnings (a missing index) as warnings, and the
/// TimestampColumn the lag probe reads. A database writes the script in its own DDL: the table with the columns
/// polling adds (<see cref="PollingColumns"/>), the index polling reads by, and the grants.
/// </summary>
/// <remarks>The dialect only writes SQL and reads the catalog on the connection the checks open; it opens none itself.</remarks>
internal abstract class PollingSourceSetup(string sourceName, IPollingOptions options, IConfigurationSection section, PollingDialect dialect) : ISourceSetup
{
    protected string SourceName => sourceName;

    protected PollingDialect Dialect => dialect;

    public abstract IReadOnlyList<SetupStep> Script();

    public abstract Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken);

    /// <summary>A connection for the checks, or the problem (never an exception) that the database could not be reached.</summary>
    protected abstract Task<(DbConnection? Connection, SetupProblem? Problem)> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>The columns polling adds to the outbox, as DDL: the order column, and the mark and timestamp columns when configured.</summary>
    protected IEnumerable<string> PollingColumns()
    {
        yield return $"{dialect.Quote(options.OrderColumn)} {dialect.SuggestedType(PolledColumnRole.Order)}";
        if (options.AfterPublish == AfterPublish.Mark) yield return $"{dialect.Quote(options.MarkColumn)} {dialect.SuggestedType(PolledColumnRole.Mark)}";
        if (!string.IsNullOrWhiteSpace(options.TimestampColumn))
            yield return $"{dialect.Quote(options.TimestampColumn)} {dialect.SuggestedType(PolledColumnRole.Timestamp)}";
    }

    public async Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken)
    {
        var (connection, problem) = await ConnectAsync(cancellationToken);
        if (connection is null) return [problem!];
        await using var _ = connection;
        var problems = new List<SetupProblem>();
        var warnings = new WarningCollector();
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

        if (!string.IsNullOrWhiteSpace(options.TimestampColumn) && await dialect.ReadColumnsAsync(connection, cancellationToken) is { } columns
            && !columns.Any(c => c.Name == options.TimestampColumn))
            problems.Add(new SetupProblem($"Source '{sourceName}': TimestampColumn names {options.TimestampColumn}, which the outbox table {dialect.Table} lacks, so the age of waiting rows cannot be measured.",
                $"ALTER TABLE {dialect.Table} ADD COLUMN {dialect.Quote(options.TimestampColumn)} {dialect.SuggestedType(PolledColumnRole.Timestamp)}; or remove Relay:Sources:{sourceName}:TimestampColumn.")
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
