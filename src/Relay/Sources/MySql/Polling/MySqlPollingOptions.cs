using Relay.Sources.Polling;

namespace Relay.Sources.MySql.Polling;

/// <summary>The keys of a MySqlPolling source (section Relay:Sources:&lt;name&gt;), for MySQL 8 and MariaDB.</summary>
public sealed class MySqlPollingOptions : MySqlSourceOptions, IPollingOptions
{
    /// <summary>A poll takes up to <see cref="PollingSource.DefaultMaxBatchRows"/> rows unless MaxBatchRows says otherwise.</summary>
    public MySqlPollingOptions() => MaxBatchRows = PollingSource.DefaultMaxBatchRows;

    /// <summary>The AUTO_INCREMENT column that orders the rows.</summary>
    public string OrderColumn { get; set; } = "seq";
    /// <summary>The wait between polls that found nothing.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    public AfterPublish AfterPublish { get; set; } = AfterPublish.Delete;
    /// <summary>With AfterPublish=Mark: the nullable DATETIME(6) column set when a row is published.</summary>
    public string MarkColumn { get; set; } = "published_at";

    /// <summary>
    /// Optional: a TIMESTAMP(6) column set when a row is written (DEFAULT CURRENT_TIMESTAMP(6)); the lag probe reports the age of
    /// the oldest waiting row from it. A DATETIME column is read as UTC.
    /// </summary>
    public string? TimestampColumn { get; set; }

    public bool TraceParentRequired { get; internal set; }
}
