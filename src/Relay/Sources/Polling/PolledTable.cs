using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Relay.Sources.Polling;

/// <summary>
/// The outbox table as the catalog describes it, checked against the configuration once per run, and what
/// the poller runs on it. Every problem found becomes one fatal error naming the key and the fix, because
/// retrying cannot create a column.
/// </summary>
internal sealed class PolledTable
{
    private PolledTable(List<PolledColumn> columns, PolledColumn order, PolledColumn? mark)
    {
        Source = columns;
        Columns = new OutboxColumns(columns.Select(c => c.Name));
        Order = order;
        OrderIndex = columns.IndexOf(order);
        Mark = mark;
    }

    /// <summary>Every column of the table, so topic templates and header mappings may use any of them.</summary>
    public OutboxColumns Columns { get; }

    /// <summary>The columns as the catalog describes them, in <see cref="Columns"/> order.</summary>
    public IReadOnlyList<PolledColumn> Source { get; }

    public PolledColumn Order { get; }

    /// <summary>Where the order column sits in <see cref="Columns"/>.</summary>
    public int OrderIndex { get; }

    /// <summary>The mark column in Mark mode, else null.</summary>
    public PolledColumn? Mark { get; }

    public static async Task<PolledTable> InspectAsync(
        DbConnection connection, PollingDialect dialect, IPollingOptions options,
        IConfigurationSection section, ILogger logger, string sourceName, CancellationToken cancellationToken)
    {
        var table = dialect.Table;
        var outbox = options.Outbox;
        var columns = await dialect.ReadColumnsAsync(connection, cancellationToken)
            ?? throw new RelayFatalException(
                $"The outbox table {table} does not exist. Set {ConfigKeys.Describe(section, "Outbox:Table")} to the outbox table (schema.table), " +
                "or create it, and check the connection string's database.");

        var problems = new List<string>();
        PolledColumn? Require(string key, string name, PolledColumnRole role)
        {
            var column = Find(columns, name);
            if (column is null)
                problems.Add($"The outbox table {table} has no column {name}. Set {ConfigKeys.Describe(section, key)} to the column's name, " +
                             $"or add it: ALTER TABLE {table} ADD COLUMN {dialect.Quote(name)} {dialect.SuggestedType(role)};");
            return column;
        }

        foreach (var (key, name, role) in new[]
                 {
                     ("Outbox:IdColumn", outbox.IdColumn, PolledColumnRole.Id), ("Outbox:AggregateTypeColumn", outbox.AggregateTypeColumn, PolledColumnRole.Text),
                     ("Outbox:AggregateIdColumn", outbox.AggregateIdColumn, PolledColumnRole.Text), ("Outbox:TypeColumn", outbox.TypeColumn, PolledColumnRole.Text),
                     ("Outbox:PayloadColumn", outbox.PayloadColumn, PolledColumnRole.Payload),
                 })
        {
            if (!string.IsNullOrWhiteSpace(name)) Require(key, name, role);
        }
        if (options.TraceParentRequired && !string.IsNullOrWhiteSpace(outbox.TraceParentColumn))
            Require("Outbox:TraceParentColumn", outbox.TraceParentColumn, PolledColumnRole.Text);
        foreach (var (header, name) in outbox.HeaderColumns)
            Require($"Outbox:HeaderColumns:{header}", name, PolledColumnRole.Text);

        var order = Require("OrderColumn", options.OrderColumn, PolledColumnRole.Order);
        if (order is not null && !dialect.IsInteger(order))
            problems.Add($"{ConfigKeys.Describe(section, "OrderColumn")} names column {order.Name} of type {order.Type}; it must be an integer that grows with each insert. " +
                         $"Name an identity or auto-increment column, or add one: ALTER TABLE {table} ADD COLUMN seq {dialect.SuggestedType(PolledColumnRole.Order)};");
        else if (order is { NotNull: false })
            problems.Add($"{ConfigKeys.Describe(section, "OrderColumn")} names column {order.Name}, which allows NULL. " +
                         $"Make it NOT NULL ({dialect.SetNotNullSql(order)}) or name an identity column.");

        PolledColumn? mark = null;
        if (options.AfterPublish == AfterPublish.Mark)
        {
            mark = Require("MarkColumn", options.MarkColumn, PolledColumnRole.Mark);
            if (mark is not null && (mark.NotNull || !dialect.IsTimestamp(mark)))
                problems.Add($"{ConfigKeys.Describe(section, "MarkColumn")} names column {mark.Name} ({mark.Type}{(mark.NotNull ? ", NOT NULL" : "")}); " +
                             $"it must be a nullable {dialect.SuggestedType(PolledColumnRole.Mark)} that is NULL until the row is published. " +
                             $"Add one: ALTER TABLE {table} ADD COLUMN published_at {dialect.SuggestedType(PolledColumnRole.Mark)};");
        }

        if (problems.Count > 0)
            throw new RelayFatalException(string.Join(Environment.NewLine, problems) +
                                          $"{Environment.NewLine}The table's columns are: {string.Join(", ", columns.Select(c => c.Name))}.");

        await dialect.CheckPrivilegesAsync(connection, options.AfterPublish, cancellationToken);
        if (!await dialect.HasIndexLedByAsync(connection, order!, cancellationToken))
            logger.LogWarning("Source {Source}: no index on {Table} starts with the order column {OrderColumn}, so every poll and release scans the table; add one: {Fix}",
                sourceName, table, order!.Name, $"CREATE INDEX outbox_order ON {table} ({dialect.Quote(order.Name)});");

        return new PolledTable(columns, order!, mark);
    }

    /// <summary>
    /// The next batch (how it is read, locked or not, is the dialect's choice). No high-water mark: every poll takes the lowest-ordered rows still in the outbox
    /// (in Mark mode, still unmarked), so a row whose transaction commits after rows with higher order values is
    /// simply picked up by the next poll instead of being skipped for ever.
    /// </summary>
    /// <remarks>
    /// Why order-column order is commit order per aggregate: a service serialises the writers of one aggregate
    /// on that aggregate (SELECT ... FOR UPDATE / UPDATE ... RETURNING version on its row), and draws the order
    /// value when inserting the outbox row, after taking the lock. The second writer gets its lock only after
    /// the first committed, so its row has the higher value and commits later; any snapshot that sees the second
    /// row therefore sees the first, which is either already published or in the same batch ahead of it.
    /// A dialect never skips locked rows (SKIP LOCKED): the lease makes this relay the only reader, so a locked
    /// row can only belong to a stale reader or a manual transaction, and skipping it would publish later rows of
    /// the same aggregate first.
    /// </remarks>
    public DbCommand CreatePollCommand(DbConnection connection, PollingDialect dialect, int limit)
    {
        var select = string.Join(", ", Source.Select(dialect.SelectExpression));
        var unpublished = Mark is null ? null : $"{dialect.Quote(Mark.Name)} IS NULL";
        return dialect.CreatePollCommand(connection, select, Order, unpublished, limit);
    }

    /// <summary>An exact name, else the one column matching it case-insensitively (an unquoted name folds case).</summary>
    private static PolledColumn? Find(List<PolledColumn> columns, string name)
    {
        var exact = columns.Find(c => c.Name == name);
        if (exact is not null) return exact;
        var folded = columns.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        return folded.Count == 1 ? folded[0] : null;
    }
}
