namespace Relay.Binlog.Events;

/// <summary>Settings of a <see cref="BinlogEventDecoder"/>.</summary>
public sealed class BinlogDecoderOptions
{
    /// <summary>
    /// The checksum the connection asked for with <c>SET @master_binlog_checksum</c>. It applies to what comes before
    /// the first FORMAT_DESCRIPTION and to the artificial ROTATE events a dump sends at each file start (MariaDB sends
    /// those without a CRC after 'NONE' even when the file's events have one); every other event follows the
    /// FORMAT_DESCRIPTION's own algorithm. Irrelevant for binlog files, which start with a FORMAT_DESCRIPTION.
    /// </summary>
    public BinlogChecksum NegotiatedChecksum { get; init; } = BinlogChecksum.Crc32;

    /// <summary>
    /// How schema and table names are compared with the requested ones: ordinal (case-sensitive), as MySQL on Linux
    /// with lower_case_table_names=0; <see cref="StringComparer.OrdinalIgnoreCase"/> for lower_case_table_names=1 or 2.
    /// </summary>
    public StringComparer TableNameComparer { get; init; } = StringComparer.Ordinal;

    /// <summary>Verify each event's CRC32 when the format says it has one.</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>The largest decompressed size accepted (TRANSACTION_PAYLOAD, MariaDB's compressed events); more is an error.</summary>
    public int MaxDecompressedSize { get; init; } = 1 << 30;
}
