using System.Globalization;
using System.Text;

namespace Relay.Routing;

/// <summary>
/// Turns outbox rows into messages: topic from the template, the aggregate id as key (the sharding
/// key), the payload as value, and the event id, type, traceparent and mapped columns as headers.
/// A row that cannot be routed becomes a dead-letter message carrying the reason, so one bad row
/// neither stalls nor reorders the pipeline.
/// </summary>
public sealed class OutboxRouter
{
    public const string ErrorHeader = "relay.error";
    public const string SourceHeader = "relay.source";

    private readonly OutboxTableOptions _options;
    private readonly string _sourceName;
    private readonly TopicTemplate _topic;

    public OutboxRouter(OutboxTableOptions options, string sourceName)
    {
        _options = options;
        _sourceName = sourceName;
        _topic = TopicTemplate.Parse(options.TopicTemplate);
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
        var eventId = Text(row[_options.IdColumn]);
        var headers = new List<KeyValuePair<string, byte[]>>(4 + _options.HeaderColumns.Count);
        if (eventId is not null) headers.Add(new("id", Encoding.UTF8.GetBytes(eventId)));
        AddHeader(headers, "type", row[_options.TypeColumn]);
        AddHeader(headers, "traceparent", row[_options.TraceParentColumn]);
        foreach (var (header, column) in _options.HeaderColumns) AddHeader(headers, header, row[column]);

        var aggregateId = Text(row[_options.AggregateIdColumn]);
        var key = aggregateId is null ? null : Encoding.UTF8.GetBytes(aggregateId);
        var payload = row[_options.PayloadColumn];
        var payloadBytes = payload switch
        {
            null => null,
            byte[] bytes => bytes,
            string s => Encoding.UTF8.GetBytes(s),
            var other => Encoding.UTF8.GetBytes(Text(other)!),
        };

        // Every reason is kept: an operator fixing the row should learn all that is wrong with it at once.
        var problems = new List<string>(2);
        if (aggregateId is null)
            problems.Add($"column {_options.AggregateIdColumn} (the sharding key) is NULL");
        if (!_topic.TryRender(row, _sourceName, out var topic, out var renderProblem))
            problems.Add(renderProblem!);
        else if (!TopicTemplate.IsValidTopic(topic))
            problems.Add($"topic '{topic}' from template '{_options.TopicTemplate}' is not a valid topic name");
        if (payloadBytes is { Length: var length } && length > _options.MaxPayloadBytes)
        {
            problems.Add($"payload is {length} bytes, over Outbox:MaxPayloadBytes ({_options.MaxPayloadBytes}); the payload is left out of this message and stays in the outbox row {eventId}");
            payloadBytes = null;
        }

        if (problems.Count == 0)
            return new OutboxMessage(topic!, key, payloadBytes, headers) { EventId = eventId };

        headers.Add(new(ErrorHeader, Encoding.UTF8.GetBytes(string.Join("; ", problems))));
        headers.Add(new(SourceHeader, Encoding.UTF8.GetBytes(_sourceName)));
        return new OutboxMessage(_options.DeadLetterTopic, key, payloadBytes, headers) { EventId = eventId, DeadLetterReasons = problems };
    }

    private static void AddHeader(List<KeyValuePair<string, byte[]>> headers, string name, object? value)
    {
        switch (value)
        {
            case null: return;
            case byte[] bytes: headers.Add(new(name, bytes)); return;
            default: headers.Add(new(name, Encoding.UTF8.GetBytes(Text(value)!))); return;
        }
    }

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
