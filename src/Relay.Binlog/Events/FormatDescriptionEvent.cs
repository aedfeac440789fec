namespace Relay.Binlog.Events;

/// <summary>
/// FORMAT_DESCRIPTION (15), the first event of every binlog file: binlog version, server version, the header length
/// and each event type's post-header length, and the checksum algorithm of the events that follow. Kept by the
/// decoder until the next one; immutable.
/// </summary>
public sealed class FormatDescriptionEvent : BinlogEvent
{
    private readonly byte[] _postHeaderLengths;

    public FormatDescriptionEvent(ushort binlogVersion, string serverVersion, uint createTimestamp, byte headerLength,
        byte[] postHeaderLengths, BinlogChecksum checksum)
    {
        BinlogVersion = binlogVersion;
        ServerVersion = serverVersion;
        CreateTimestamp = createTimestamp;
        HeaderLength = headerLength;
        _postHeaderLengths = postHeaderLengths;
        Checksum = checksum;
        IsMariaDb = serverVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
    }

    public ushort BinlogVersion { get; }

    /// <summary>"10.11.19-MariaDB-0+deb12u1-log", "8.4.3".</summary>
    public string ServerVersion { get; }

    public uint CreateTimestamp { get; }

    /// <summary>The common header length, 19 for binlog version 4.</summary>
    public byte HeaderLength { get; }

    public BinlogChecksum Checksum { get; }

    /// <summary>MariaDB counts GEOMETRY among the character columns of TABLE_MAP charset metadata; MySQL does not.</summary>
    public bool IsMariaDb { get; }

    public ReadOnlySpan<byte> PostHeaderLengths => _postHeaderLengths;

    /// <summary>The post-header length the writer used for <paramref name="type"/>, or <paramref name="fallback"/> when it did not list the type.</summary>
    public int PostHeaderLength(BinlogEventType type, int fallback)
    {
        var index = (int)type - 1;
        return index >= 0 && index < _postHeaderLengths.Length ? _postHeaderLengths[index] : fallback;
    }
}
