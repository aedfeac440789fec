namespace Relay.Sources.Polling;

/// <summary>A column of the outbox table as the catalog describes it; <paramref name="TypeId"/> is the database's own type number and <paramref name="Detail"/> its full type text, where it has them.</summary>
internal sealed record PolledColumn(string Name, string Type, bool NotNull, int Number, uint TypeId = 0, string? Detail = null);
