using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Relay.Binlog.Gtids;

/// <summary>
/// A MySQL GTID set: for each source (UUID, optional tag) a sorted list of disjoint transaction-number intervals.
/// Text form as @@gtid_executed prints it: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,uuid2:1-3", with tags
/// (8.3+) after a UUID's untagged intervals, "uuid:1-4:aaaa:1:bbb:1-3"; UUIDs and tags in lowercase, sorted.
/// Binary form as PREVIOUS_GTIDS events and COM_BINLOG_DUMP_GTID carry it (Gtid_set::encode, rpl_gtid_set.cc):
/// n_sids u64, then per source the UUID's 16 bytes, [the tag as a serialization-varlen length and bytes,] n_intervals
/// u64 and [start, end + 1) u64 pairs; the tagged format marks n_sids with 0x01 in its top and bottom bytes.
/// </summary>
public sealed class MySqlGtidSet
{
    /// <summary>GNO_END: transaction numbers run from 1 to 2^63 - 2.</summary>
    public const long MaxGno = long.MaxValue - 1;

    private const int MaxTagLength = 32;

    // Sorted by UUID bytes, then tag ("" = untagged, first), as MySQL orders TSIDs.
    private readonly List<Source> _sources = [];

    public bool IsEmpty => _sources.Count == 0;

    public static MySqlGtidSet Parse(string text) => TryParse(text, out var set, out var error)
        ? set
        : throw new FormatException($"'{text}' is not a MySQL GTID set: {error}");

    public static bool TryParse(string text, out MySqlGtidSet set, out string? error)
    {
        set = new MySqlGtidSet();
        error = null;
        foreach (var rawElement in text.Split(','))
        {
            var element = rawElement.Trim();
            if (element.Length == 0)
            {
                if (text.Trim().Length == 0) return true;
                error = "an empty element";
                return false;
            }
            var parts = element.Split(':');
            if (!Guid.TryParseExact(parts[0].Trim(), "D", out var uuid))
            {
                error = $"'{parts[0]}' is not a UUID";
                return false;
            }
            var tag = "";
            for (var i = 1; i < parts.Length; i++)
            {
                var part = parts[i].Trim();
                if (part.Length > 0 && (char.IsAsciiLetter(part[0]) || part[0] == '_'))
                {
                    if (!IsValidTag(part))
                    {
                        error = $"'{part}' is not a GTID tag (a letter or '_', then up to 31 letters, digits or '_')";
                        return false;
                    }
                    tag = part.ToLowerInvariant();
                    continue;
                }
                var dash = part.IndexOf('-');
                if (!long.TryParse(dash < 0 ? part : part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ||
                    !long.TryParse(dash < 0 ? part : part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end) ||
                    start < 1 || end < start || end > MaxGno)
                {
                    error = $"'{part}' is not an interval of transaction numbers 1..{MaxGno}";
                    return false;
                }
                set.AddInterval(uuid, tag, start, end);
            }
        }
        return true;
    }

    public void Add(MySqlGtid gtid) => Add(gtid.Uuid, gtid.Tag, gtid.Gno);

    public void Add(Guid uuid, string? tag, long gno) => AddInterval(uuid, tag, gno, gno);

    /// <summary>Adds the transactions <paramref name="start"/>..<paramref name="end"/> (inclusive), merging with what is there.</summary>
    public void AddInterval(Guid uuid, string? tag, long start, long end)
    {
        if (start < 1 || end < start || end > MaxGno)
            throw new ArgumentOutOfRangeException(nameof(start), $"{start}-{end} is not an interval of transaction numbers 1..{MaxGno}.");
        var intervals = Find(uuid, NormalizeTag(tag), create: true)!.Intervals;
        // Insert, then merge with neighbours that overlap or touch.
        var at = 0;
        while (at < intervals.Count && intervals[at].End < start - 1) at++;
        var merged = new Interval(start, end);
        while (at < intervals.Count && intervals[at].Start <= end + 1)
        {
            merged = new Interval(Math.Min(merged.Start, intervals[at].Start), Math.Max(merged.End, intervals[at].End));
            intervals.RemoveAt(at);
        }
        intervals.Insert(at, merged);
    }

    public bool Contains(MySqlGtid gtid) => Contains(gtid.Uuid, gtid.Tag, gtid.Gno);

    public bool Contains(Guid uuid, string? tag, long gno)
    {
        var source = Find(uuid, NormalizeTag(tag), create: false);
        if (source is null) return false;
        foreach (var interval in source.Intervals)
        {
            if (gno < interval.Start) return false;
            if (gno <= interval.End) return true;
        }
        return false;
    }

    /// <summary>The intervals of one source, inclusive, in order.</summary>
    public IReadOnlyList<Interval> IntervalsOf(Guid uuid, string? tag = null) =>
        Find(uuid, NormalizeTag(tag), create: false)?.Intervals ?? (IReadOnlyList<Interval>)[];

    public override string ToString()
    {
        var text = new StringBuilder();
        Guid? current = null;
        foreach (var source in _sources)
        {
            if (source.Uuid != current)
            {
                if (current is not null) text.Append(',');
                text.Append(source.Uuid.ToString("D"));
                current = source.Uuid;
            }
            if (source.Tag.Length > 0) text.Append(':').Append(source.Tag);
            foreach (var interval in source.Intervals)
            {
                text.Append(':').Append(interval.Start.ToString(CultureInfo.InvariantCulture));
                if (interval.End != interval.Start) text.Append('-').Append(interval.End.ToString(CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    public override bool Equals(object? obj) => obj is MySqlGtidSet other && other.ToString() == ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>The binary encoding; tagged format only when a tag is present (as MySQL chooses).</summary>
    public byte[] Encode()
    {
        var tagged = HasTags;
        var length = 8;
        foreach (var source in _sources)
        {
            length += 16 + 8 + 16 * source.Intervals.Count;
            if (tagged) length += SerializationVarlen.Size((ulong)source.Tag.Length) + source.Tag.Length;
        }
        var bytes = new byte[length];
        var n = (ulong)_sources.Count;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, tagged ? 1UL << 56 | n << 8 | 1 : n);
        var at = 8;
        foreach (var source in _sources)
        {
            source.Uuid.TryWriteBytes(bytes.AsSpan(at), bigEndian: true, out _);
            at += 16;
            if (tagged)
            {
                at += SerializationVarlen.WriteUnsigned(bytes.AsSpan(at), (ulong)source.Tag.Length);
                at += Encoding.ASCII.GetBytes(source.Tag, bytes.AsSpan(at));
            }
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), (ulong)source.Intervals.Count);
            at += 8;
            foreach (var interval in source.Intervals)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), interval.Start);
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), interval.End + 1);
                at += 16;
            }
        }
        return bytes;
    }

    /// <summary>Decodes the binary form; the whole span must be the set (as in PREVIOUS_GTIDS).</summary>
    public static MySqlGtidSet Decode(ReadOnlySpan<byte> bytes)
    {
        var set = Decode(bytes, out var used);
        if (used != bytes.Length) throw new FormatException($"A GTID set of {used} bytes is followed by {bytes.Length - used} more.");
        return set;
    }

    public static MySqlGtidSet Decode(ReadOnlySpan<byte> bytes, out int used)
    {
        var set = new MySqlGtidSet();
        Need(bytes, 0, 8, "the source count");
        var header = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var format = header >> 56;
        if (format > 1) throw new FormatException($"GTID set encoding format {format} is not known (0 untagged, 1 tagged).");
        var tagged = format == 1;
        var count = tagged ? (header & 0x00FFFFFFFFFFFF00UL) >> 8 : header & 0x00FFFFFFFFFFFFFFUL;
        var at = 8;
        for (ulong s = 0; s < count; s++)
        {
            Need(bytes, at, 16, "a source UUID");
            var uuid = new Guid(bytes.Slice(at, 16), bigEndian: true);
            at += 16;
            var tag = "";
            if (tagged)
            {
                var size = SerializationVarlen.ReadUnsigned(bytes[at..], out var tagLength);
                if (size == 0 || tagLength > MaxTagLength) throw new FormatException("A GTID set has a malformed tag length.");
                at += size;
                Need(bytes, at, (int)tagLength, "a tag");
                tag = Encoding.ASCII.GetString(bytes.Slice(at, (int)tagLength));
                at += (int)tagLength;
                if (tag.Length > 0 && !IsValidTag(tag)) throw new FormatException($"A GTID set has the invalid tag '{tag}'.");
            }
            Need(bytes, at, 8, "an interval count");
            var intervals = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
            at += 8;
            if (intervals > (ulong)(bytes.Length - at) / 16) throw new FormatException($"A GTID set claims {intervals} intervals that do not fit its bytes.");
            var last = 0L;
            for (ulong i = 0; i < intervals; i++)
            {
                var start = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
                var end = BinaryPrimitives.ReadInt64LittleEndian(bytes[(at + 8)..]);
                at += 16;
                // Gtid_set::add_gtid_encoding: intervals ascend and do not touch ([start, end) with start > previous end).
                if (start <= last || end <= start || end - 1 > MaxGno)
                    throw new FormatException($"A GTID set has the malformed interval [{start}, {end}) after {last}.");
                last = end;
                set.AddInterval(uuid, tag, start, end - 1);
            }
        }
        used = at;
        return set;
    }

    private bool HasTags
    {
        get
        {
            foreach (var source in _sources)
                if (source.Tag.Length > 0) return true;
            return false;
        }
    }

    private Source? Find(Guid uuid, string tag, bool create)
    {
        Span<byte> key = stackalloc byte[16];
        Span<byte> other = stackalloc byte[16];
        uuid.TryWriteBytes(key, bigEndian: true, out _);
        var at = 0;
        for (; at < _sources.Count; at++)
        {
            _sources[at].Uuid.TryWriteBytes(other, bigEndian: true, out _);
            var order = other.SequenceCompareTo(key);
            if (order == 0) order = string.CompareOrdinal(_sources[at].Tag, tag);
            if (order == 0) return _sources[at];
            if (order > 0) break;
        }
        if (!create) return null;
        var source = new Source(uuid, tag);
        _sources.Insert(at, source);
        return source;
    }

    private static string NormalizeTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag)) return "";
        if (!IsValidTag(tag)) throw new ArgumentException($"'{tag}' is not a GTID tag (a letter or '_', then up to 31 letters, digits or '_').", nameof(tag));
        return tag.ToLowerInvariant();
    }

    private static bool IsValidTag(string tag)
    {
        if (tag.Length is 0 or > MaxTagLength || !(char.IsAsciiLetter(tag[0]) || tag[0] == '_')) return false;
        foreach (var c in tag)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    private static void Need(ReadOnlySpan<byte> bytes, int at, int count, string what)
    {
        if (bytes.Length - at < count) throw new FormatException($"A GTID set ends inside {what} (offset {at}).");
    }

    /// <summary>Transactions <see cref="Start"/> to <see cref="End"/>, both included.</summary>
    public readonly record struct Interval(long Start, long End);

    private sealed class Source(Guid uuid, string tag)
    {
        public Guid Uuid { get; } = uuid;

        public string Tag { get; } = tag;

        public List<Interval> Intervals { get; } = [];
    }
}
