using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Relay.Sources.Postgres.Polling;

/// <summary>What happens to a row once the sink committed it.</summary>
public enum AfterPublish
{
    /// <summary>Delete the row: the outbox stays small and needs no cleanup.</summary>
    Delete,
    /// <summary>Set the mark column to now(): rows stay for auditing and a separate job removes them.</summary>
    Mark,
}

/// <summary>The polling source's own keys, read from its configuration section and checked without a database.</summary>
public sealed record PostgresPollingOptions
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMinutes(10);

    /// <summary>Secret: never log it or put it into an exception.</summary>
    public required string ConnectionString { get; init; }
    public required PostgresTableName Table { get; init; }
    public string OrderColumn { get; init; } = "seq";
    public TimeSpan PollInterval { get; init; } = DefaultPollInterval;
    public AfterPublish AfterPublish { get; init; } = AfterPublish.Delete;
    public string MarkColumn { get; init; } = "published_at";
    public int MaxBatchRows { get; init; } = 1000;

    /// <summary>True when Outbox:TraceParentColumn was set explicitly: then it must exist; the default may be absent.</summary>
    public bool TraceParentRequired { get; init; }

    /// <summary>Reads the options; every problem goes into <paramref name="errors"/> (null is returned when there are any).</summary>
    public static PostgresPollingOptions? Parse(SourceContext context, List<string> errors)
    {
        var section = context.Section;
        var before = errors.Count;
        string Key(string key) => ConfigKeys.Describe(section, key);

        var connectionString = PostgresSettings.ReadConnectionString(context, "LOGIN, SELECT and DELETE (or UPDATE) on the outbox", errors);
        var table = PostgresSettings.ReadTable(context, errors);

        var orderColumn = section["OrderColumn"] ?? "seq";
        if (string.IsNullOrWhiteSpace(orderColumn))
            errors.Add($"{Key("OrderColumn")} is empty. Name the identity or bigserial column that orders the rows, or leave the key out for the default seq.");

        var pollInterval = DefaultPollInterval;
        if (section["PollInterval"] is { } intervalText)
        {
            if (!TimeSpan.TryParse(intervalText, CultureInfo.InvariantCulture, out pollInterval) || pollInterval <= TimeSpan.Zero || pollInterval > MaxPollInterval)
                errors.Add($"{Key("PollInterval")} is '{intervalText}'. Set it to a time span above zero and at most 00:10:00, e.g. 00:00:00.2 (the default).");
        }

        var afterPublish = AfterPublish.Delete;
        if (section["AfterPublish"] is { } afterText
            && !(Enum.TryParse(afterText, ignoreCase: true, out afterPublish) && Enum.IsDefined(afterPublish) && !char.IsDigit(afterText.Trim().FirstOrDefault())))
        {
            errors.Add($"{Key("AfterPublish")} is '{afterText}'. Set it to Delete (the default) or Mark.");
        }

        var markColumn = section["MarkColumn"] ?? "published_at";
        if (afterPublish == AfterPublish.Mark && string.IsNullOrWhiteSpace(markColumn))
            errors.Add($"{Key("MarkColumn")} is empty while AfterPublish is Mark. Name a nullable timestamptz column, or leave the key out for the default published_at.");
        if (afterPublish == AfterPublish.Mark && string.Equals(markColumn, orderColumn, StringComparison.OrdinalIgnoreCase))
            errors.Add($"{Key("MarkColumn")} names the order column {orderColumn}. Use a separate nullable timestamptz column, e.g. published_at.");


        if (errors.Count > before) return null;
        return new PostgresPollingOptions
        {
            ConnectionString = connectionString!,
            Table = table,
            OrderColumn = orderColumn,
            PollInterval = pollInterval,
            AfterPublish = afterPublish,
            MarkColumn = markColumn,
            MaxBatchRows = context.MaxBatchRows,
            TraceParentRequired = section.GetSection("Outbox")["TraceParentColumn"] is not null,
        };
    }
}
