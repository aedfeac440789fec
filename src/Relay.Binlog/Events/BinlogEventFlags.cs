namespace Relay.Binlog.Events;

/// <summary>The flags field of the v4 event header (LOG_EVENT_*_F).</summary>
[Flags]
public enum BinlogEventFlags : ushort
{
    None = 0,
    BinlogInUse = 0x1,
    ThreadSpecific = 0x4,
    SuppressUse = 0x8,
    /// <summary>Made up by the sender, not read from a file: the fake ROTATE at the start of a dump.</summary>
    Artificial = 0x20,
    RelayLog = 0x40,
    /// <summary>A reader that does not know the event may skip it.</summary>
    Ignorable = 0x80,
    SkipReplication = 0x8000,
}
