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
