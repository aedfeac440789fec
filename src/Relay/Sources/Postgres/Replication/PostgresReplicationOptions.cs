namespace Relay.Sources.Postgres.Replication;

/// <summary>The keys of a PostgresReplication source (section Relay:Sources:&lt;name&gt;).</summary>
public sealed class PostgresReplicationOptions : PostgresSourceOptions
{
    /// <summary>NAMEDATALEN - 1: longer names are truncated by the server, so they would not match.</summary>
    internal const int MaxNameLength = 63;

    /// <summary>The logical replication slot; default "relay_" + the source name.</summary>
    public string Slot { get; set; } = "";
    /// <summary>The publication of the outbox table; default the slot's name.</summary>
    public string Publication { get; set; } = "";
    public bool CreateSlot { get; set; } = true;
    public bool CreatePublication { get; set; } = true;
    /// <summary>How often the position moves on (the slot is confirmed) also while the outbox is idle.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>"relay_" + the source name, lower case, anything but [a-z0-9_] as '_'.</summary>
    public static string DefaultSlotName(string sourceName)
    {
        var name = string.Create(Math.Min(6 + sourceName.Length, MaxNameLength), sourceName, static (span, source) =>
        {
            "relay_".AsSpan().CopyTo(span);
            for (var i = 6; i < span.Length; i++)
            {
                var c = char.ToLowerInvariant(source[i - 6]);
                span[i] = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '_';
            }
        });
        return name;
    }

    internal static bool IsSimpleName(string name)
    {
        if (name.Length is 0 or > MaxNameLength) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')) return false;
        return true;
    }
}
