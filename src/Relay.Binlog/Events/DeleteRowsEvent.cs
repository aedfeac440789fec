namespace Relay.Binlog.Events;

/// <summary>DELETE_ROWS v1/v2 (25, 32) and MariaDB's compressed ones: recognised, not decoded (an outbox ignores deletes).</summary>
internal sealed class DeleteRowsEvent : RowsEvent;
