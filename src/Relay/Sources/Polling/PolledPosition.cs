using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Relay.Sources.Polling;

/// <summary>
/// A polling source's position: the order-column values of the rows in the last published batch, a prefix
/// naming the database ("pgpoll:", "mysqlpoll:") then ascending ids with runs written as ranges ("pgpoll:7..9,12"
/// is 7, 8, 9 and 12).
/// A batch is polled only after the previous one was acknowledged, so the last batch's rows are the
/// only ones a crash can leave behind; on restart these are released, never yielded again.
/// </summary>
public sealed class PolledPosition
{
    public const string PostgresPrefix = "pgpoll:";
    public const string MySqlPrefix = "mysqlpoll:";

    /// <summary>A bound on what a position may expand to, so a garbled position cannot exhaust memory.</summary>
    public const int MaxIds = 1_000_000;

    private readonly string _prefix;
    private readonly long[] _ids;

    private PolledPosition(string prefix, long[] ids)
    {
        _prefix = prefix;
        _ids = ids;
    }

    /// <summary>The ids, ascending and distinct.</summary>
    public IReadOnlyList<long> Ids => _ids;

    public static PolledPosition Of(string prefix, IEnumerable<long> ids)
    {
        var sorted = ids.Distinct().Order().ToArray();
        if (sorted.Length > MaxIds) throw new ArgumentException($"A position holds at most {MaxIds} ids.", nameof(ids));
        return new PolledPosition(prefix, sorted);
    }

    public SourcePosition Encode()
    {
        var sb = new StringBuilder(_prefix, _prefix.Length + _ids.Length * 4);
        for (var i = 0; i < _ids.Length;)
        {
            var end = i;
            while (end + 1 < _ids.Length && _ids[end + 1] == _ids[end] + 1) end++;
            if (i > 0) sb.Append(',');
            sb.Append(_ids[i].ToString(CultureInfo.InvariantCulture));
            if (end > i) sb.Append("..").Append(_ids[end].ToString(CultureInfo.InvariantCulture));
            i = end + 1;
        }
        return new SourcePosition(sb.ToString());
    }

    /// <summary>Parses what <see cref="Encode"/> wrote; anything else (another source kind's position, garbage) is rejected.</summary>
    public static bool TryParse(string prefix, string? text, [NotNullWhen(true)] out PolledPosition? position)
    {
        position = null;
        if (text is null || !text.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var body = text.AsSpan(prefix.Length);
        var ids = new List<long>();
        long? previous = null;
        foreach (var range in body.Split(','))
        {
            var item = body[range];
            if (item.IsEmpty)
            {
                if (body.IsEmpty) break; // the prefix alone is the empty position
                return false;
            }
            long first, last;
            var dots = item.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0)
            {
                if (!TryParseId(item, out first)) return false;
                last = first;
            }
            else if (!TryParseId(item[..dots], out first) || !TryParseId(item[(dots + 2)..], out last) || last <= first)
            {
                return false;
            }
            // Ascending and disjoint, as Encode writes them; this also bounds the expansion below.
            if (previous is { } p && first <= p) return false;
            if ((decimal)last - first + 1 + ids.Count > MaxIds) return false;
            for (var id = first; ; id++)
            {
                ids.Add(id);
                if (id == last) break;
            }
            previous = last;
        }
        position = new PolledPosition(prefix, ids.ToArray());
        return true;
    }

    private static bool TryParseId(ReadOnlySpan<char> text, out long id) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id);

    public override string ToString() => Encode().Value;
}
