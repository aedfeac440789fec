namespace Relay.Binlog.Events;

/// <summary>UPDATE_ROWS v1/v2 (24, 31), MySQL's PARTIAL_UPDATE_ROWS (39) and MariaDB's compressed ones: recognised, not decoded (an outbox is insert-only).</summary>
internal sealed class UpdateRowsEvent : RowsEvent;
