using System.Collections.Concurrent;
using Npgsql;

namespace Relay.Tests.Crash;

/// <summary>
/// Writers that behave like services: each transaction locks one aggregate (UPDATE ... RETURNING
/// version), so transactions on one aggregate commit one after another, and inserts one to three
/// outbox rows carrying the aggregate's new versions. The versions are the ground truth for "per
/// aggregate, in commit order": a reader must see 1, 2, 3, ... for every aggregate.
/// </summary>
public sealed class OutboxWorkload(string connectionString, int aggregates, string[] aggregateTypes)
{
    public string TypeOf(int aggregate) => aggregateTypes[aggregate % aggregateTypes.Length];

    public async Task CreateSchemaAsync()
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            CREATE TABLE aggregates (id int PRIMARY KEY, version int NOT NULL DEFAULT 0);
            INSERT INTO aggregates (id) SELECT generate_series(0, {aggregates - 1});
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Writes until <paramref name="rows"/> outbox rows are committed; returns the committed count per aggregate.</summary>
    /// <remarks>Paced to take at least <paramref name="duration"/>, so the relay can be killed many times while rows keep coming.</remarks>
    public async Task<IReadOnlyDictionary<int, int>> WriteAsync(int writers, int rows, TimeSpan duration, CancellationToken cancellationToken)
    {
        var remaining = rows;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rowsPerSecond = rows / duration.TotalSeconds;
        var versions = new ConcurrentDictionary<int, int>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var random = new Random(writer * 7919 + rows);
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync(cancellationToken);
            await using (var setup = new NpgsqlCommand("SET synchronous_commit = off", conn)) await setup.ExecuteNonQueryAsync(cancellationToken);
            while (true)
            {
                var count = random.Next(1, 4);
                var left = Interlocked.Add(ref remaining, -count);
                if (left < 0)
                {
                    count += left; // take only what is left
                    if (count <= 0) return;
                }
                var ahead = (rows - left) / rowsPerSecond - clock.Elapsed.TotalSeconds;
                if (ahead > 0.005) await Task.Delay(TimeSpan.FromSeconds(ahead), cancellationToken);
                var aggregate = random.Next(aggregates);
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                int version;
                await using (var lockAggregate = new NpgsqlCommand("UPDATE aggregates SET version = version + @n WHERE id = @id RETURNING version", conn, tx))
                {
                    lockAggregate.Parameters.AddWithValue("n", count);
                    lockAggregate.Parameters.AddWithValue("id", aggregate);
                    version = (int)(await lockAggregate.ExecuteScalarAsync(cancellationToken))!;
                }
                await using (var insert = new NpgsqlCommand("""
                    INSERT INTO outbox (aggregatetype, aggregateid, type, payload)
                    SELECT @type, @id::text, 'Changed', jsonb_build_object('aggregate', @id, 'version', v)
                    FROM generate_series(@first, @last) AS v ORDER BY v
                    """, conn, tx))
                {
                    insert.Parameters.AddWithValue("type", TypeOf(aggregate));
                    insert.Parameters.AddWithValue("id", aggregate);
                    insert.Parameters.AddWithValue("first", version - count + 1);
                    insert.Parameters.AddWithValue("last", version);
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
                await tx.CommitAsync(cancellationToken);
                versions.AddOrUpdate(aggregate, version, (_, old) => Math.Max(old, version));
                if (left <= 0) return;
            }
        }));
        return versions;
    }
}
