using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Relay.Sources.Postgres.Replication;

/// <summary>The PostgresReplication keys of one source's configuration section, read and checked without touching the database.</summary>
internal sealed class PostgresReplicationOptions
{
    /// <summary>NAMEDATALEN - 1: longer names are truncated by the server, so they would not match.</summary>
    private const int MaxNameLength = 63;

    public required string ConnectionString { get; init; }
    public required PostgresTableName Table { get; init; }
    public required string Slot { get; init; }
    public required string Publication { get; init; }
    public bool CreateSlot { get; init; } = true;
    public bool CreatePublication { get; init; } = true;
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxBatchRows { get; init; } = 1000;

    /// <summary>Reads the section; adds one message per problem to <paramref name="errors"/> and returns null when there is any.</summary>
    public static PostgresReplicationOptions? Read(SourceContext context, List<string> errors)
    {
        var section = context.Section;
        var before = errors.Count;

        var connectionString = PostgresSettings.ReadConnectionString(context, "LOGIN and REPLICATION", errors);
        var table = PostgresSettings.ReadTable(context, errors);

        var slot = section["Slot"] is { Length: > 0 } configuredSlot ? configuredSlot : DefaultSlotName(context.Name);
        if (!IsSimpleName(slot))
            errors.Add($"{ConfigKeys.Describe(section, "Slot")} is '{slot}'. A replication slot name may only contain lower-case letters, " +
                       $"digits and '_', at most {MaxNameLength} characters; leave the key out for the default '{DefaultSlotName(context.Name)}'.");

        var publication = section["Publication"] is { Length: > 0 } configuredPublication ? configuredPublication : slot;
        if (!IsSimpleName(publication))
            errors.Add($"{ConfigKeys.Describe(section, "Publication")} is '{publication}'. Use lower-case letters, digits and '_', " +
                       $"at most {MaxNameLength} characters; leave the key out to use the slot name.");

        var createSlot = ReadBool(section, "CreateSlot", true, errors);
        var createPublication = ReadBool(section, "CreatePublication", true, errors);

        var statusInterval = TimeSpan.FromSeconds(10);
        if (section["StatusInterval"] is { Length: > 0 } interval &&
            (!TimeSpan.TryParse(interval, CultureInfo.InvariantCulture, out statusInterval) || statusInterval <= TimeSpan.Zero || statusInterval > TimeSpan.FromHours(1)))
        {
            errors.Add($"{ConfigKeys.Describe(section, "StatusInterval")} is '{interval}'. Set it to a time span between 00:00:00.010 and 01:00:00 " +
                       "(hh:mm:ss, default 00:00:10).");
        }


        if (errors.Count > before) return null;
        return new PostgresReplicationOptions
        {
            ConnectionString = connectionString!,
            Table = table,
            Slot = slot,
            Publication = publication,
            CreateSlot = createSlot,
            CreatePublication = createPublication,
            StatusInterval = statusInterval,
            MaxBatchRows = context.MaxBatchRows,
        };
    }

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

    private static bool IsSimpleName(string name)
    {
        if (name.Length is 0 or > MaxNameLength) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')) return false;
        return true;
    }

    private static bool ReadBool(IConfigurationSection section, string key, bool defaultValue, List<string> errors)
    {
        var text = section[key];
        if (string.IsNullOrEmpty(text)) return defaultValue;
        if (bool.TryParse(text, out var value)) return value;
        errors.Add($"{ConfigKeys.Describe(section, key)} is '{text}'. Set it to true or false (default {(defaultValue ? "true" : "false")}).");
        return defaultValue;
    }
}
