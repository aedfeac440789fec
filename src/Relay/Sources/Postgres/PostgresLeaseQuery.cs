namespace Relay.Sources.Postgres;

/// <summary>
/// Asks whether any session holds a source's lease, the advisory lock <see cref="PostgresLease"/> takes
/// (key space "RELA", key hashtext('relay:' + source name), a two-key lock: classid, objid, objsubid 2).
/// pg_locks is readable by every role. A relay waiting for the lease does not hold it, so while it waits
/// a held lease means another relay is the active one.
/// </summary>
internal static class PostgresLeaseQuery
{
    /// <summary>The first key of the two-key advisory lock space Relay uses ("RELA").</summary>
    public const int LockSpace = 0x52454C41;

    /// <summary>A boolean SQL expression; parameter @lease_name is "relay:" + the source name.</summary>
    public static readonly string HeldSql = $"""
        EXISTS (SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid = {LockSpace}::bigint::oid
                  AND l.objid = (hashtext(@lease_name)::bigint & 4294967295)::oid)
        """;

    /// <summary>The same, true only when the session running it holds the lease (the holder's own check).</summary>
    public static readonly string HeldBySessionSql = HeldSql.Replace("WHERE l.locktype", "WHERE l.pid = pg_backend_pid() AND l.locktype", StringComparison.Ordinal);

    public static string LeaseName(string sourceName) => "relay:" + sourceName;
}
