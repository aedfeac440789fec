using System.Text;

namespace Relay.Routing;

/// <summary>A topic name with {column} and {source} placeholders, parsed once.</summary>
internal sealed class TopicTemplate
{
    private readonly (string Text, bool IsPlaceholder)[] _parts;

    private TopicTemplate((string, bool)[] parts) => _parts = parts;

    public static TopicTemplate Parse(string template)
    {
        if (string.IsNullOrWhiteSpace(template)) throw new FormatException("The template is empty.");
        var parts = new List<(string, bool)>();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var closeStray = template.IndexOf('}', i);
            if (closeStray >= 0 && (open < 0 || closeStray < open))
                throw new FormatException($"'}}' at position {closeStray} has no matching '{{'.");
            if (open < 0) { parts.Add((template[i..], false)); break; }
            if (open > i) parts.Add((template[i..open], false));
            var close = template.IndexOf('}', open + 1);
            if (close < 0) throw new FormatException($"'{{' at position {open} is not closed.");
            var name = template[(open + 1)..close].Trim();
            if (name.Length == 0) throw new FormatException($"Placeholder at position {open} names no column.");
            parts.Add((name, true));
            i = close + 1;
        }
        return new TopicTemplate(parts.ToArray());
    }

    /// <summary>The only placeholder when the template has exactly one (other than {source}), else null: such topics can be cached by its value.</summary>
    public string? SinglePlaceholder =>
        _parts.Count(p => p.IsPlaceholder) == 1 && _parts.First(p => p.IsPlaceholder).Text is var name && name != "source" ? name : null;

    public bool TryRender(OutboxRow row, string sourceName, out string topic, out string? problem)
    {
        var sb = new StringBuilder();
        foreach (var (text, isPlaceholder) in _parts)
        {
            if (!isPlaceholder) { sb.Append(text); continue; }
            var value = text == "source" && !row.HasColumn("source") ? sourceName : OutboxRouter.Text(row[text]);
            if (string.IsNullOrEmpty(value))
            {
                topic = "";
                problem = row.HasColumn(text)
                    ? $"column {text}, used by the topic template, is NULL or empty"
                    : $"the topic template names column {text}, which the outbox row does not have";
                return false;
            }
            sb.Append(value);
        }
        topic = sb.ToString();
        problem = null;
        return true;
    }

    /// <summary>Kafka's rule, which Redis stream names also satisfy: 1–249 of [A-Za-z0-9._-], not "." or "..".</summary>
    public static bool IsValidTopic(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > 249 || topic is "." or "..") return false;
        foreach (var c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }
}
