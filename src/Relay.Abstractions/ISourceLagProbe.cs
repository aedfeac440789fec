namespace Relay;

/// <summary>
/// Measures how far a source's committed progress trails its database, on a connection of its own.
/// The host samples it periodically for every enabled source, also on a standby replica, and never
/// from inside the pipeline, so a slow probe cannot hold up publishing. Created by
/// <see cref="IOutboxSourceFactory.CreateLagProbe"/>; a kind without one reports no lag.
/// </summary>
public interface ISourceLagProbe : IAsyncDisposable
{
    /// <summary>One sample. Throws when the database cannot be asked; the host logs it (rate-limited) and tries again later.</summary>
    Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken);
}

/// <summary>What a lag probe saw. Every value is optional: a kind fills in what it can measure.</summary>
public sealed record SourceLagSample
{
    /// <summary>Seconds between the newest change in the database and the source's committed progress (0 when caught up).</summary>
    public double? LagSeconds { get; init; }

    /// <summary>Bytes of log between the server's current position and the source's committed progress.</summary>
    public long? LagBytes { get; init; }

    /// <summary>Bytes of log the server keeps for the source (a replication slot's restart point to the current position).</summary>
    public long? RetainedBytes { get; init; }

    /// <summary>
    /// How safe the retained log is, in the server's words (PostgreSQL's wal_status: reserved, extended,
    /// unreserved, lost); null when the kind has no such notion.
    /// </summary>
    public string? RetentionStatus { get; init; }

    /// <summary>Rows waiting to be published (polling sources).</summary>
    public long? PendingRows { get; init; }

    /// <summary>Age in seconds of the oldest row waiting to be published (polling, when the table has a timestamp column).</summary>
    public double? OldestPendingSeconds { get; init; }

    /// <summary>
    /// True when another session holds the source's lease (another relay is the active one), false when
    /// nobody or this relay holds it, null when the kind cannot tell. Tells a standby from a start-up.
    /// </summary>
    public bool? LeaseHeldElsewhere { get; init; }
}
