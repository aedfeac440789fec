using Microsoft.Extensions.Logging;
using Npgsql;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Frees the replication slot for the relay that just won the lease. A previous holder cut off from the database
/// leaves its walsender holding the slot (pg_replication_slots.active_pid) until the server notices the silence;
/// the lease proves that walsender is no longer the active relay's, so it is ended rather than waited for.
/// pg_terminate_backend is allowed for backends of the caller's own role (or with pg_signal_backend).
/// </summary>
internal static class SlotTakeover
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(200);

    public static async Task FreeAsync(NpgsqlConnection connection, string slot, string sourceName, string role, ILogger logger, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        int? ended = null;
        while (true)
        {
            await using var query = new NpgsqlCommand("SELECT active_pid FROM pg_replication_slots WHERE slot_name = @slot", connection);
            query.Parameters.AddWithValue("slot", slot);
            if (await query.ExecuteScalarAsync(cancellationToken) is not int pid) return;
            // Past the deadline the start itself reports the busy slot and the pipeline retries.
            if (DateTime.UtcNow > deadline) return;
            if (pid != ended)
            {
                logger.LogWarning("Source {Source}: replication slot {Slot} is still held by walsender {Pid} of a relay that lost the lease; ending it",
                    sourceName, slot, pid);
                try
                {
                    await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", connection);
                    terminate.Parameters.AddWithValue("pid", pid);
                    await terminate.ExecuteScalarAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    logger.LogWarning("Source {Source}: role {Role} may not end walsender {Pid} ({Error}); waiting for the server to drop it " +
                                      "(wal_sender_timeout). GRANT pg_signal_backend TO {Role}; lets a standby take the slot over at once",
                        sourceName, role, pid, e.MessageText, role);
                    return;
                }
                ended = pid;
            }
            await Task.Delay(Retry, cancellationToken);
        }
    }
}
