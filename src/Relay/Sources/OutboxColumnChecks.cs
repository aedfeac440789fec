namespace Relay.Sources;

/// <summary>The outbox table's columns against the mapping, for the setup checks of log-tailing sources (polling has its own, stricter ones).</summary>
internal static class OutboxColumnChecks
{
    /// <summary>
    /// A problem per outbox column the mapping names that the table lacks; a name that differs only in case counts as there.
    /// <paramref name="table"/> is the table's quoted name, <paramref name="quote"/> quotes a column name.
    /// </summary>
    public static IEnumerable<SetupProblem> Missing(
        IReadOnlyCollection<string> columns, string table, OutboxTableOptions outbox, string sourceName, Func<string, string> quote)
    {
        foreach (var (key, column) in new[]
                 {
                     ("IdColumn", outbox.IdColumn), ("AggregateTypeColumn", outbox.AggregateTypeColumn), ("AggregateIdColumn", outbox.AggregateIdColumn),
                     ("TypeColumn", outbox.TypeColumn), ("PayloadColumn", outbox.PayloadColumn),
                 })
        {
            if (string.IsNullOrWhiteSpace(column) || columns.Any(c => string.Equals(c, column, StringComparison.OrdinalIgnoreCase))) continue;
            yield return new SetupProblem($"Source '{sourceName}': the outbox table {table} has no column {column} (Outbox:{key}).",
                $"Add it (ALTER TABLE {table} ADD COLUMN {quote(column)} ...), or set Relay:Sources:{sourceName}:Outbox:{key} to the column's name.");
        }
    }
}
