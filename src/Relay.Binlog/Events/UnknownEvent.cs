namespace Relay.Binlog.Events;

/// <summary>An event this decoder has no use for (INTVAR, USER_VAR, STOP, an unknown type, ...), skipped by its size.</summary>
internal sealed class UnknownEvent : BinlogEvent;
