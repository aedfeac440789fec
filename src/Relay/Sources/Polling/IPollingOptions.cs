using Microsoft.Extensions.Configuration;

namespace Relay.Sources.Polling;

/// <summary>The keys every polling source has, whatever its database.</summary>
public interface IPollingOptions
{
    /// <summary>The integer column, growing with each insert, that orders the rows.</summary>
    string OrderColumn { get; }
    /// <summary>The wait between polls that found nothing.</summary>
    TimeSpan PollInterval { get; }
    AfterPublish AfterPublish { get; }
    /// <summary>With AfterPublish=Mark: the nullable timestamp column set when a row is published.</summary>
    string MarkColumn { get; }
    int MaxBatchRows { get; }
    OutboxTableOptions Outbox { get; }
    /// <summary>Optional: a column the database sets to the time a row is written; the lag probe reports the age of the oldest waiting row from it.</summary>
    string? TimestampColumn { get; }
    /// <summary>True when Outbox:TraceParentColumn was set explicitly: then it must exist; the default may be absent.</summary>
    bool TraceParentRequired { get; }
}

/// <summary>Checks of the keys every polling source has.</summary>
internal static class PollingOptionsChecks
{
    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromMinutes(10);

    /// <summary>Each problem names the key and the fix; <paramref name="markType"/> is the database's word for the mark column's type.</summary>
    public static IEnumerable<string> Validate(IConfigurationSection section, IPollingOptions options, string markType)
    {
        string Key(string key) => ConfigKeys.Describe(section, key);
        if (string.IsNullOrWhiteSpace(options.OrderColumn))
            yield return $"{Key("OrderColumn")} is empty. Name the identity or auto-increment column that orders the rows, or leave the key out for the default seq.";
        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > MaxPollInterval)
            yield return $"{Key("PollInterval")} is {options.PollInterval}. Set it to a time span above zero and at most 00:10:00, e.g. 00:00:00.2 (the default).";
        if (options.AfterPublish == AfterPublish.Mark && string.IsNullOrWhiteSpace(options.MarkColumn))
            yield return $"{Key("MarkColumn")} is empty while AfterPublish is Mark. Name a nullable {markType} column, or leave the key out for the default published_at.";
        if (options.AfterPublish == AfterPublish.Mark && string.Equals(options.MarkColumn, options.OrderColumn, StringComparison.OrdinalIgnoreCase))
            yield return $"{Key("MarkColumn")} names the order column {options.OrderColumn}. Use a separate nullable {markType} column, e.g. published_at.";
    }
}
