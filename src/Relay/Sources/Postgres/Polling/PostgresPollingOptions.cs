using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>The keys of a PostgresPolling source (section Relay:Sources:&lt;name&gt;).</summary>
public sealed class PostgresPollingOptions : PostgresSourceOptions, IPollingOptions
{
    /// <summary>A poll takes up to <see cref="PollingSource.DefaultMaxBatchRows"/> rows unless MaxBatchRows says otherwise.</summary>
    public PostgresPollingOptions() => MaxBatchRows = PollingSource.DefaultMaxBatchRows;

    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The identity column that orders the rows.</summary>
    public string OrderColumn { get; set; } = "seq";
    /// <summary>The wait between polls that found nothing.</summary>
    public TimeSpan PollInterval { get; set; } = DefaultPollInterval;
    public AfterPublish AfterPublish { get; set; } = AfterPublish.Delete;
    /// <summary>With AfterPublish=Mark: the nullable timestamptz column set when a row is published.</summary>
    public string MarkColumn { get; set; } = "published_at";

    /// <summary>Optional: a timestamptz column set when a row is written (DEFAULT now()); the lag probe reports the age of the oldest waiting row from it.</summary>
    public string? TimestampColumn { get; set; }

    public bool TraceParentRequired { get; internal set; }
}
