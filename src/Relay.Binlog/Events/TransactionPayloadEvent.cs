namespace Relay.Binlog.Events;

/// <summary>
/// MySQL's TRANSACTION_PAYLOAD (40, binlog_transaction_compression=ON): a transaction's events, compressed together.
/// The decoder yields this event and then each event inside it (<see cref="BinlogEvent.InPayload"/> set); the inner
/// events carry no checksum.
/// </summary>
internal sealed class TransactionPayloadEvent : BinlogEvent
{
    /// <summary>0 = zstd, 255 = none (mysql::binlog::event::compression::type).</summary>
    public byte CompressionType { get; internal set; }

    /// <summary>Bytes of (compressed) payload in the event.</summary>
    public ulong PayloadSize { get; internal set; }

    /// <summary>Bytes once decompressed, when the writer said (it does for zstd).</summary>
    public ulong? UncompressedSize { get; internal set; }
}
