namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// The binlog files laid end to end, so that positions in different files can be subtracted: a file's first byte
/// gets its offset when the file is first seen, right after its predecessor's last byte (a file that has a successor
/// is complete). Offsets stay fixed while the server rotates and purges files.
/// </summary>
internal sealed class BinlogOffsets
{
    private readonly Dictionary<string, ulong> _starts = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes in the files the server keeps now, oldest first. False when none of them was known before (the first
    /// call, or every known file purged since): the offsets start over and compare with none handed out before.
    /// </summary>
    public bool Update(IReadOnlyList<BinlogFile> files)
    {
        var anchor = 0;
        while (anchor < files.Count && !_starts.ContainsKey(files[anchor].Name)) anchor++;
        var continued = anchor < files.Count;
        if (!continued)
        {
            _starts.Clear();
            if (files.Count == 0) return false;
            anchor = 0;
            _starts[files[0].Name] = 0;
        }
        for (var i = anchor + 1; i < files.Count; i++)
            _starts.TryAdd(files[i].Name, _starts[files[i - 1].Name] + files[i - 1].Size);
        foreach (var purged in _starts.Keys.Where(name => !files.Any(f => f.Name == name)).ToList()) _starts.Remove(purged);
        return continued;
    }

    /// <summary>The offset of a position in a file the server keeps; null for a file it does not.</summary>
    public ulong? Offset(string file, ulong position) => _starts.TryGetValue(file, out var start) ? start + position : null;
}
