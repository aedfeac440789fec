using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Relay.Sources.Postgres.Replication;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Postgres.Replication;

/// <summary>Builds replication sources against a test database and reads them with bounded waits.</summary>
internal static class ReplicationTestKit
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public static SourceContext Context(string connectionString, string name = "orders", IDictionary<string, string?>? settings = null, string table = "public.outbox")
    {
        var prefix = $"Relay:Sources:{name}:";
        var values = new Dictionary<string, string?>
        {
            [prefix + "Kind"] = PostgresReplicationSourceFactory.KindName,
            [prefix + "ConnectionString"] = connectionString,
            [prefix + "Outbox:Table"] = table,
        };
        if (settings is not null)
            foreach (var (key, value) in settings) values[prefix + key] = value;
        return RelayServices.Source(values, name);
    }

    /// <summary>Slots are cluster-wide (unlike publications): each test database gets its own slot name, so tests can run in parallel.</summary>
    public static string Slot(PostgresDatabase db) => db.Name.Replace("relay_t_", "relay_s_");

    /// <summary>Settings for a source of <paramref name="db"/>: its own slot, plus <paramref name="settings"/>.</summary>
    public static Dictionary<string, string?> Settings(PostgresDatabase db, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Slot"] = Slot(db) };
        if (settings is not null)
            foreach (var (key, value) in settings) all[key] = value;
        return all;
    }

    public static PostgresReplicationSource Create(PostgresDatabase db, string name = "orders", IDictionary<string, string?>? settings = null, string table = "public.outbox")
        => (PostgresReplicationSource)new PostgresReplicationSourceFactory().Create(Context(db.ConnectionString, name, Settings(db, settings), table));

    public static async Task<WalLsn> CurrentLsnAsync(PostgresDatabase db) =>
        new(await db.ScalarAsync<NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()"));

    public static async Task<NpgsqlLogSequenceNumber?> ConfirmedFlushAsync(PostgresDatabase db, string slot)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = @s", conn);
        cmd.Parameters.AddWithValue("s", slot);
        return await cmd.ExecuteScalarAsync() is NpgsqlLogSequenceNumber lsn ? lsn : null;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Tests write only once a walsender streams the slot (see <see cref="PostgresDatabase.WaitForSlotStreamingAsync"/>).</summary>
    public static Task WaitForSlotActiveAsync(PostgresDatabase db, string? slot = null) => db.WaitForSlotStreamingAsync(slot ?? Slot(db));

    public static async Task InsertAsync(PostgresDatabase db, int count, string aggregateId = "a", string table = "outbox") =>
        await db.ExecuteAsync($"INSERT INTO {table} (aggregatetype, aggregateid, type, payload) " +
                              $"SELECT 'order', '{aggregateId}' || g, 'Created', jsonb_build_object('n', g) FROM generate_series(1, {count}) g");

    public static string Text(OutboxRow row, string column) => Assert.IsType<string>(row[column]);
}

public readonly record struct WalLsn(NpgsqlLogSequenceNumber Value)
{
    public static bool operator >(WalLsn a, WalLsn b) => (ulong)a.Value > (ulong)b.Value;
    public static bool operator <(WalLsn a, WalLsn b) => (ulong)a.Value < (ulong)b.Value;
}

/// <summary>
/// Enumerates a source in the background, as the pipeline does, so a test can take batches with a timeout.
/// Batches without rows (the position moving on while the outbox is idle) are kept apart, in <see cref="Idle"/>.
/// </summary>
internal sealed class SourceReader : IAsyncDisposable
{
    private readonly Channel<SourceBatch> _batches = Channel.CreateUnbounded<SourceBatch>();
    private readonly Channel<SourceBatch> _idle = Channel.CreateUnbounded<SourceBatch>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public SourceReader(IOutboxSource source, SourcePosition? committed)
    {
        Source = source;
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in source.ReadAsync(committed, _stop.Token))
                    await (batch.Rows.Count == 0 ? _idle : _batches).Writer.WriteAsync(batch);
                _batches.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _batches.Writer.TryComplete(e);
            }
        });
    }

    public IOutboxSource Source { get; }

    /// <summary>The next batch without rows whose position satisfies <paramref name="wanted"/>.</summary>
    public async Task<SourceBatch> NextIdleAsync(Func<SourcePosition, bool> wanted, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ReplicationTestKit.Wait);
        try
        {
            while (true)
            {
                var batch = await _idle.Reader.ReadAsync(cts.Token);
                if (wanted(batch.Position)) return batch;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException("No idle position arrived in time.");
        }
    }

    public async Task<SourceBatch> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ReplicationTestKit.Wait);
        try
        {
            return await _batches.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException("No batch arrived in time.");
        }
    }

    /// <summary>Asserts that nothing more arrives within <paramref name="quiet"/>.</summary>
    public async Task ExpectNothingAsync(TimeSpan quiet)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            var batch = await _batches.Reader.ReadAsync(cts.Token);
            Assert.Fail($"Unexpected batch of {batch.Rows.Count} rows at {batch.Position}.");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
    }

    public async Task<Exception> FailureAsync()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var cts = new CancellationTokenSource(ReplicationTestKit.Wait);
            while (await _batches.Reader.WaitToReadAsync(cts.Token)) _batches.Reader.TryRead(out _);
        });
        return failed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _reading.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (OperationCanceledException) { }
        await Source.DisposeAsync();
        _stop.Dispose();
    }
}
