namespace Relay.Sources.Polling;

/// <summary>What a column is for, to suggest a type when it is missing.</summary>
internal enum PolledColumnRole
{
    Id,
    Text,
    Payload,
    Order,
    Mark,
    /// <summary>TimestampColumn: when the row was written, set by the database.</summary>
    Timestamp,
}
