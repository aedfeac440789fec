namespace Relay.Binlog.Events;

/// <summary>The flags byte of MariaDB's GTID event (Gtid_log_event::FL_*).</summary>
[Flags]
public enum MariaDbGtidFlags : byte
{
    None = 0,
    /// <summary>No COMMIT/XID follows: a DDL or other statement that is its own transaction.</summary>
    Standalone = 1,
    /// <summary>Part of a group commit; a commit id follows.</summary>
    GroupCommitId = 2,
    Transactional = 4,
    AllowParallel = 8,
    Waited = 16,
    Ddl = 32,
    PreparedXa = 64,
    CompletedXa = 128,
}
