namespace Relay;

/// <summary>
/// How an outbox table maps to messages. The defaults follow Debezium's Outbox Event Router, so a
/// service that wrote for Debezium needs no change.
/// </summary>
public sealed class OutboxTableOptions
{
    /// <summary>Schema-qualified table name.</summary>
    public string Table { get; set; } = "public.outbox";
    public string IdColumn { get; set; } = "id";
    public string AggregateTypeColumn { get; set; } = "aggregatetype";
    /// <summary>The sharding key: it becomes the message key, so one aggregate stays on one partition.</summary>
    public string AggregateIdColumn { get; set; } = "aggregateid";
    public string TypeColumn { get; set; } = "type";
    public string PayloadColumn { get; set; } = "payload";
    /// <summary>A W3C traceparent column; sent as the traceparent header when the row has a value.</summary>
    public string TraceParentColumn { get; set; } = "traceparent";
    /// <summary>Further columns sent as headers: header name → column name.</summary>
    public Dictionary<string, string> HeaderColumns { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Topic (or stream) name; {column} stands for that column's value, {source} for the source name.</summary>
    public string TopicTemplate { get; set; } = "outbox.event.{aggregatetype}";
    /// <summary>Where rows that cannot be routed go, with the reason in the relay.error header.</summary>
    public string DeadLetterTopic { get; set; } = "relay.deadletter";
    /// <summary>A payload larger than this goes to the dead-letter topic instead of failing the batch.</summary>
    public int MaxPayloadBytes { get; set; } = 900_000;
}
