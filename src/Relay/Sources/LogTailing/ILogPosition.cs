namespace Relay.Sources.LogTailing;

/// <summary>
/// Where a log-tailing source stands, in the log's own terms (a WAL position, a binlog file/position and GTID
/// set): inside a transaction with some of its outbox rows published (partial), or after a transaction (complete).
/// Ordered as the log is; encoded into the text the sink commits beside the messages.
/// </summary>
internal interface ILogPosition<TSelf> : IComparable<TSelf> where TSelf : struct, ILogPosition<TSelf>
{
    /// <summary>True after a whole transaction: the database may release the log up to here once the sink has it.</summary>
    bool IsComplete { get; }

    string Encode();

    /// <summary>Parses what <see cref="Encode"/> wrote; false for anything else, such as another kind's position.</summary>
    static abstract bool TryParse(string? text, out TSelf position);
}
