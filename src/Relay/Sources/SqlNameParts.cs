namespace Relay.Sources;

/// <summary>
/// Splits a configured SQL name such as <c>outbox</c>, <c>shop.outbox</c> or <c>"My"."Outbox"</c> into its parts:
/// quoted parts are taken as written (a doubled quote stands for one), unquoted ones are trimmed and passed through
/// the database's folding rule.
/// </summary>
internal static class SqlNameParts
{
    public static bool TrySplit(string? text, char quote, Func<string, string> foldUnquoted, out List<string> parts, out string? problem)
    {
        parts = new List<string>(2);
        problem = null;
        if (string.IsNullOrWhiteSpace(text)) { problem = "it is empty"; return false; }
        var i = 0;
        while (i < text.Length)
        {
            string part;
            if (text[i] == quote)
            {
                var end = text.IndexOf(quote, i + 1);
                while (end >= 0 && end + 1 < text.Length && text[end + 1] == quote) end = text.IndexOf(quote, end + 2);
                if (end < 0) { problem = "a quoted name is not closed"; return false; }
                part = text[(i + 1)..end].Replace(new string(quote, 2), quote.ToString());
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf('.', i);
                if (end < 0) end = text.Length;
                part = foldUnquoted(text[i..end].Trim());
                i = end;
            }
            if (part.Length == 0) { problem = "a name part is empty"; return false; }
            parts.Add(part);
            if (i < text.Length)
            {
                if (text[i] != '.') { problem = $"unexpected '{text[i]}' at position {i}"; return false; }
                i++;
            }
        }
        return true;
    }
}
