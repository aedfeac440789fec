using System.Diagnostics;
using MySqlConnector;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Hosting;

/// <summary>
/// The lease alone is lost while the relay is otherwise fine: the server ends the lease's session, or closes it for
/// idling. The active replica must notice, stop publishing and stand by (or win the lease again), never leaving two
/// replicas active nor a row lost or duplicated.
/// </summary>
public sealed class LeaseLossTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("PostgresPolling")]
    [InlineData("MySqlBinlog")]
    [InlineData("MySqlPolling")]
    public async Task Ending_the_lease_session_of_the_active_replica_stands_it_down_and_loses_or_duplicates_nothing(string kind)
    {
        const int rows = 2_000;
        await using var source = await ReplicatedSource.CreateAsync(kind, "lease");
        var (active, activeHttp) = await source.StartActiveAsync();
        var (standby, standbyHttp) = await source.StartStandbyAsync();

        using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var writers = await source.StartWritingAsync(rows, TimeSpan.FromSeconds(25), writing.Token);

        var session = await EndLeaseSessionAsync(source);
        var clock = Stopwatch.StartNew();
        // Its own lease check, or the sink's fence when the standby took the freed lock and committed first: either way
        // the replica must stand by (and, below, nothing is lost or duplicated).
        bool StoodDown() => active.Output.Contains("lost the lease", StringComparison.Ordinal) ||
                            active.Output.Contains("another relay is reading this source; standing by", StringComparison.Ordinal);
        while (!StoodDown() && clock.Elapsed < Deadline) await Task.Delay(50);
        output.WriteLine($"{kind}: the active replica stood down {clock.Elapsed.TotalSeconds:F1} s after its session {session} was ended");
        Assert.True(StoodDown(), $"The active replica never noticed its lease session ended:\n{source.Outputs}");

        // One of the two carries on (the other stands by); whichever it is, rows keep flowing and none twice.
        var committed = await writers;
        await source.AssertExactlyOnceAsync(rows, committed);
        var states = new[] { await source.StateAsync(activeHttp), await source.StateAsync(standbyHttp) };
        Assert.Equal(1, states.Count(s => s is ("streaming", true)));
        Assert.Equal(1, states.Count(s => s is ("standby", false)));
        Assert.False(active.HasExited || standby.HasExited, source.Outputs);
    }

    /// <summary>
    /// A private MariaDB whose global wait_timeout (1 s) ends any session idle for longer, shorter than the lease's check
    /// interval (2 s): the active replica's lease session idles between checks, yet keeps the lease (it sets its own
    /// wait_timeout); a second replica started after 15 s idle stands by.
    /// </summary>
    [Theory]
    [InlineData("MySqlBinlog")]
    [InlineData("MySqlPolling")]
    public async Task An_idle_MySQL_lease_outlives_a_short_wait_timeout_and_no_two_replicas_are_active(string kind)
    {
        const int rows = 300;
        await using var server = await MariaDbInstance.StartAsync("--wait-timeout=1", "--interactive-timeout=1");
        await using var source = await ReplicatedSource.CreateAsync(kind, "idle", await MySqlDatabase.CreateOnAsync(server.AdminConnectionString));
        var (first, firstHttp) = await source.StartActiveAsync();

        await Task.Delay(TimeSpan.FromSeconds(15)); // idle: nothing to read, only the lease checks talk to the lease session
        var (second, secondHttp) = await source.StartStandbyAsync();

        using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var writers = source.Workload.WriteAsync(2, rows, TimeSpan.FromSeconds(10), writing.Token);
        while (!writers.IsCompleted)
        {
            var states = new[] { await source.StateAsync(firstHttp), await source.StateAsync(secondHttp) };
            Assert.True(states.Count(s => s is { Active: true }) <= 1, $"Two replicas are active at once:\n{source.Outputs}");
            await Task.Delay(100);
        }
        await source.AssertExactlyOnceAsync(rows, await writers);
        Assert.Equal(("streaming", true), await source.StateAsync(firstHttp));
        Assert.Equal(("standby", false), await source.StateAsync(secondHttp));
        Assert.DoesNotContain("lost the lease", first.Output, StringComparison.Ordinal);
        Assert.False(first.HasExited || second.HasExited, source.Outputs);
    }

    /// <summary>
    /// A walsender of a relay that lost its lease (here one the test opens, as the same role, and keeps answering) still
    /// holds the slot: the replica that wins the lease ends it (pg_terminate_backend, allowed for the role's own backends)
    /// instead of waiting, which here would be forever.
    /// </summary>
    [Fact]
    public async Task The_new_lease_holder_ends_a_walsender_left_on_the_slot_and_streams()
    {
        await using var source = await ReplicatedSource.CreateAsync("PostgresReplication", "slot");
        var (first, _) = await source.StartActiveAsync(); // creates the slot and the publication
        Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));

        await using var zombie = new LogicalReplicationConnection(source.Database.ConnectionString);
        await zombie.Open();
        using var zombieStop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var zombieReads = Task.Run(async () =>
        {
            await foreach (var _ in zombie.StartReplication(new PgOutputReplicationSlot(source.Slot), new PgOutputReplicationOptions(source.Slot, PgOutputProtocolVersion.V1), zombieStop.Token))
            {
            }
        });
        await ((PostgresDatabase)source.Database).WaitForSlotStreamingAsync(source.Slot);

        var (second, _) = await source.StartActiveAsync();
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => zombieReads.WaitAsync(TimeSpan.FromSeconds(90)));
        Assert.IsNotType<TimeoutException>(ended);
        Assert.Contains("still held by walsender", second.Output, StringComparison.Ordinal);

        var committed = await source.Workload.WriteAsync(1, 20, TimeSpan.Zero, CancellationToken.None);
        await source.AssertExactlyOnceAsync(20, committed);
    }

    /// <summary>Ends the server session holding the source's lease (pg_terminate_backend, KILL); returns its id.</summary>
    private static async Task<long> EndLeaseSessionAsync(ReplicatedSource source)
    {
        if (source.Database is PostgresDatabase pg)
        {
            await using var connection = new NpgsqlConnection(pg.ConnectionString);
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                SELECT pid, pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = 1380273217::bigint::oid
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND objid = (hashtext(@name)::bigint & 4294967295)::oid
                """, connection);
            cmd.Parameters.AddWithValue("name", "relay:" + source.Source);
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), "Nobody holds the lease");
            Assert.True(reader.GetBoolean(1));
            return reader.GetInt32(0);
        }
        var mySql = (MySqlDatabase)source.Database;
        await using var conn = new MySqlConnection(mySql.ConnectionString);
        await conn.OpenAsync();
        await using var find = new MySqlCommand("SELECT CAST(IS_USED_LOCK(@name) AS SIGNED)", conn);
        find.Parameters.AddWithValue("@name", "relay:" + source.Source);
        var id = Assert.IsType<long>(await find.ExecuteScalarAsync());
        await using var kill = new MySqlCommand($"KILL {id}", conn);
        await kill.ExecuteNonQueryAsync();
        return id;
    }
}
