using System.Globalization;
using System.Text;

namespace Relay.Routing;

/// <summary>
/// Turns outbox rows into messages: topic from the template, the aggregate id as key (the sharding
/// key), the payload as value, and the event id, type, traceparent and mapped columns as headers.
/// A row that cannot be routed becomes a dead-letter message carrying the reason, so one bad row
/// neither stalls nor reorders the pipeline. That includes a row whose shape lacks a mapped column (renamed or
/// dropped while Relay ran): its header or value must not vanish without a word.
/// </summary>
public sealed class OutboxRouter
{
    public const string ErrorHeader = "relay.error";
    public const string SourceHeader = "relay.source";

    private readonly OutboxTableOptions _options;
    private readonly string _sourceName;
    private readonly TopicTemplate _topic;
    // Used by one pipeline's publishing loop at a time.
    private readonly Dictionary<string, string?> _topics;
    private readonly Dictionary<string, string?>.AlternateLookup<ReadOnlySpan<char>> _topicsByText;
    private ColumnMap? _map;
    // The traceparent column may be absent from the table; once rows had it, rows without it lost it.
    private bool _sawTraceParent;
    private const int MaxCachedTopics = 4096;
    private const int MaxCachedTopicBytes = 256;

    public OutboxRouter(OutboxTableOptions options, string sourceName)
    {
        _options = options;
        _sourceName = sourceName;
        _topic = TopicTemplate.Parse(options.TopicTemplate);
        _topics = new Dictionary<string, string?>(StringComparer.Ordinal);
        _topicsByText = _topics.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Checks the mapping without touching a database; each error names the key and the fix.</summary>
    public static IEnumerable<string> Validate(OutboxTableOptions options, string configPath)
    {
        if (string.IsNullOrWhiteSpace(options.Table))
            yield return $"{configPath}:Outbox:Table is empty. Set it to the outbox table, e.g. public.outbox.";
        foreach (var (key, value) in new[]
                 {
                     ("IdColumn", options.IdColumn), ("AggregateTypeColumn", options.AggregateTypeColumn),
                     ("AggregateIdColumn", options.AggregateIdColumn), ("PayloadColumn", options.PayloadColumn),
                 })
        {
            if (string.IsNullOrWhiteSpace(value))
                yield return $"{configPath}:Outbox:{key} is empty. Name the column, or leave the key out for the Debezium default.";
        }
        string? templateError = null;
        try { TopicTemplate.Parse(options.TopicTemplate); }
        catch (FormatException e) { templateError = e.Message; }
        if (templateError is not null)
            yield return $"{configPath}:Outbox:TopicTemplate is invalid: {templateError} Example: outbox.event.{{aggregatetype}}.";
        if (!TopicTemplate.IsValidTopic(options.DeadLetterTopic))
            yield return $"{configPath}:Outbox:DeadLetterTopic '{options.DeadLetterTopic}' is not a valid topic name. Use letters, digits, '.', '_' and '-'.";
        if (options.MaxPayloadBytes <= 0)
            yield return $"{configPath}:Outbox:MaxPayloadBytes must be positive (default 900000).";
        foreach (var (header, column) in options.HeaderColumns)
        {
            if (string.IsNullOrWhiteSpace(column))
                yield return $"{configPath}:Outbox:HeaderColumns:{header} names no column. Set it to the column whose value the header carries.";
        }
    }

    public OutboxMessage Route(OutboxRow row)
    {
        var map = Map(row.Columns);
        var eventId = Utf8(row, map.Id);
        var headers = new List<KeyValuePair<string, byte[]>>(map.HeaderCount);
        if (eventId is not null) headers.Add(new("id", eventId));
        AddHeader(headers, "type", row, map.Type);
        AddHeader(headers, "traceparent", row, map.TraceParent);
        for (var i = 0; i < map.Headers.Length; i++) AddHeader(headers, map.Headers[i].Name, row, map.Headers[i].Index);

        var key = Utf8(row, map.AggregateId);
        var payloadBytes = Bytes(row, map.Payload);

        var topic = CachedTopic(row, map);
        if (map.Missing is null && key is not null && topic is not null && (payloadBytes is null || payloadBytes.Length <= _options.MaxPayloadBytes))
            return new OutboxMessage(topic, key, payloadBytes, headers);

        // Every reason is kept: an operator fixing the row should learn all that is wrong with it at once.
        var problems = new List<string>(2);
        if (map.Missing is not null) problems.AddRange(map.Missing);
        var eventIdText = eventId is null ? null : Encoding.UTF8.GetString(eventId);
        if (key is null && map.AggregateId >= 0)
            problems.Add($"column {_options.AggregateIdColumn} (the sharding key) is NULL");
        if (!_topic.TryRender(row, _sourceName, out var rendered, out var renderProblem))
            problems.Add(renderProblem!);
        else if (!TopicTemplate.IsValidTopic(rendered))
            problems.Add($"topic '{rendered}' from template '{_options.TopicTemplate}' is not a valid topic name");
        if (payloadBytes is { Length: var length } && length > _options.MaxPayloadBytes)
        {
            problems.Add($"payload is {length} bytes, over Outbox:MaxPayloadBytes ({_options.MaxPayloadBytes}); the payload is left out of this message and stays in the outbox row {eventIdText}");
            payloadBytes = null;
        }

        if (problems.Count == 0)
            return new OutboxMessage(rendered, key, payloadBytes, headers) { EventId = eventIdText };

        headers.Add(new(ErrorHeader, Encoding.UTF8.GetBytes(string.Join("; ", problems))));
        headers.Add(new(SourceHeader, Encoding.UTF8.GetBytes(_sourceName)));
        return new OutboxMessage(_options.DeadLetterTopic, key, payloadBytes, headers) { EventId = eventIdText, DeadLetterReasons = problems };
    }

    /// <summary>
    /// The row's topic when it renders to a valid one, else null (the caller then finds out why). A template with one
    /// column placeholder renders each distinct value once: outbox topics are few, rows are many.
    /// </summary>
    private string? CachedTopic(OutboxRow row, ColumnMap map)
    {
        if (map.TopicColumn >= 0)
        {
            if (row.TryGetUtf8(map.TopicColumn, out var utf8) && utf8.Length is > 0 and <= MaxCachedTopicBytes)
            {
                // Looked up by its characters, so that a value kept as UTF-8 costs no string per row.
                Span<char> chars = stackalloc char[MaxCachedTopicBytes];
                if (Encoding.UTF8.TryGetChars(utf8, chars, out var written))
                {
                    var text = chars[..written];
                    if (_topicsByText.TryGetValue(text, out var hit)) return hit;
                    return CacheTopic(row, text.ToString());
                }
            }
            else if (row.ValueAt(map.TopicColumn) is string value && value.Length > 0)
            {
                return _topics.TryGetValue(value, out var cached) ? cached : CacheTopic(row, value);
            }
        }
        return _topic.TryRender(row, _sourceName, out var other, out _) && TopicTemplate.IsValidTopic(other) ? other : null;
    }

    private string? CacheTopic(OutboxRow row, string value)
    {
        var topic = _topic.TryRender(row, _sourceName, out var rendered, out _) && TopicTemplate.IsValidTopic(rendered) ? rendered : null;
        if (_topics.Count < MaxCachedTopics) _topics[value] = topic;
        return topic;
    }

    /// <summary>Where the mapped columns sit in rows of one shape; resolved once per <see cref="OutboxColumns"/> instance.</summary>
    private ColumnMap Map(OutboxColumns columns)
    {
        var map = _map;
        if (map is not null && ReferenceEquals(map.Columns, columns)) return map;
        var traceParent = columns.IndexOf(_options.TraceParentColumn);
        _sawTraceParent |= traceParent >= 0;
        List<string>? missing = null;
        void Require(string key, string column)
        {
            if (!string.IsNullOrWhiteSpace(column) && columns.IndexOf(column) < 0)
                (missing ??= []).Add($"the row has no column {column} (Outbox:{key}): it was renamed or dropped; rename it back, or set Outbox:{key} " +
                                     "to its new name and restart");
        }
        Require("IdColumn", _options.IdColumn);
        Require("AggregateTypeColumn", _options.AggregateTypeColumn);
        Require("AggregateIdColumn", _options.AggregateIdColumn);
        Require("TypeColumn", _options.TypeColumn);
        Require("PayloadColumn", _options.PayloadColumn);
        if (_sawTraceParent) Require("TraceParentColumn", _options.TraceParentColumn);
        foreach (var (header, column) in _options.HeaderColumns) Require($"HeaderColumns:{header}", column);
        map = new ColumnMap(
            columns,
            columns.IndexOf(_options.IdColumn),
            columns.IndexOf(_options.TypeColumn),
            traceParent,
            columns.IndexOf(_options.AggregateIdColumn),
            columns.IndexOf(_options.PayloadColumn),
            _options.HeaderColumns.Select(h => (h.Key, columns.IndexOf(h.Value))).ToArray(),
            _topic.SinglePlaceholder is { } placeholder ? columns.IndexOf(placeholder) : -1,
            missing);
        _map = map;
        return map;
    }

    private sealed record ColumnMap(
        OutboxColumns Columns, int Id, int Type, int TraceParent, int AggregateId, int Payload, (string Name, int Index)[] Headers, int TopicColumn,
        List<string>? Missing)
    {
        public int HeaderCount => 3 + Headers.Length;
    }

    private static void AddHeader(List<KeyValuePair<string, byte[]>> headers, string name, OutboxRow row, int index)
    {
        if (Bytes(row, index) is { } value) headers.Add(new(name, value));
    }

    /// <summary>A payload or header value as published (null for SQL NULL): binary values as they are, text as UTF-8.</summary>
    private static byte[]? Bytes(OutboxRow row, int index) =>
        row.TryGetUtf8(index, out var utf8) ? utf8 : row.ValueAt(index) switch
        {
            null => null,
            byte[] bytes => bytes,
            var value => Encoding.UTF8.GetBytes(Text(value)!),
        };

    /// <summary>A value's text as UTF-8 (null for SQL NULL): the source's bytes when it kept them, else its text encoded.</summary>
    private static byte[]? Utf8(OutboxRow row, int index) =>
        row.TryGetUtf8(index, out var utf8) ? utf8 : Text(row.ValueAt(index)) is { } text ? Encoding.UTF8.GetBytes(text) : null;

    internal static string? Text(object? value) => value switch
    {
        null or DBNull => null,
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };
}
