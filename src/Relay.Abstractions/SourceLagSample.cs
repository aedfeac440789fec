namespace Relay;

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
    /// True when some relay holds the source's lease, false when nobody does, null when the kind cannot
    /// tell. While this relay waits for the lease, a held lease means another relay is the active one:
    /// this one is a standby, not a relay still starting up.
    /// </summary>
    public bool? LeaseHeld { get; init; }
}
