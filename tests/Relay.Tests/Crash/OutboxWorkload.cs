using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Crash;

/// <summary>
/// Writers that behave like services: each transaction locks one aggregate (bumping its version), so
/// transactions on one aggregate commit one after another, and inserts one to three outbox rows carrying the
/// aggregate's new versions. The versions are the ground truth for "per aggregate, in commit order": a reader
/// must see 1, 2, 3, ... for every aggregate. Runs on either engine.
/// </summary>
public sealed class OutboxWorkload(OutboxDatabase db, int aggregates, string[] aggregateTypes)
{
    private bool Postgres => db.Engine == OutboxDatabase.Postgres;

    public string TypeOf(int aggregate) => aggregateTypes[aggregate % aggregateTypes.Length];

    public async Task CreateSchemaAsync()
    {
        var ids = string.Join(",", Enumerable.Range(0, aggregates).Select(i => $"({i})"));
        await db.ExecuteAsync(Postgres
            ? $"CREATE TABLE aggregates (id int PRIMARY KEY, version int NOT NULL DEFAULT 0); INSERT INTO aggregates (id) VALUES {ids};"
            : $"CREATE TABLE aggregates (id INT PRIMARY KEY, version INT NOT NULL DEFAULT 0) ENGINE=InnoDB; INSERT INTO aggregates (id) VALUES {ids};");
    }

    /// <summary>Writes until <paramref name="rows"/> outbox rows are committed; returns the committed count per aggregate.</summary>
    /// <remarks>Paced to take at least <paramref name="duration"/>, so the relay can be killed many times while rows keep coming.</remarks>
    public async Task<IReadOnlyDictionary<int, int>> WriteAsync(int writers, int rows, TimeSpan duration, CancellationToken cancellationToken)
    {
        var remaining = rows;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rowsPerSecond = duration > TimeSpan.Zero ? rows / duration.TotalSeconds : double.PositiveInfinity;
        var versions = new ConcurrentDictionary<int, int>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var random = new Random(writer * 7919 + rows);
            await using var conn = await db.OpenAsync();
            if (Postgres) await ExecuteAsync(conn, null, "SET synchronous_commit = off", cancellationToken);
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
                // The service's pattern: serialise on the aggregate, then insert its events (drawing their order values).
                var version = Convert.ToInt32(await ScalarAsync(conn, tx, Postgres
                    ? $"UPDATE aggregates SET version = version + {count} WHERE id = {aggregate} RETURNING version"
                    : $"UPDATE aggregates SET version = LAST_INSERT_ID(version + {count}) WHERE id = {aggregate}; SELECT LAST_INSERT_ID()",
                    cancellationToken), CultureInfo.InvariantCulture);
                var values = new StringBuilder();
                for (var v = version - count + 1; v <= version; v++)
                {
                    if (values.Length > 0) values.Append(", ");
                    values.Append(CultureInfo.InvariantCulture,
                        $"('{TypeOf(aggregate)}', '{aggregate}', 'Changed', '{{\"aggregate\": {aggregate}, \"version\": {v}}}')");
                }
                await ExecuteAsync(conn, tx, $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES {values}", cancellationToken);
                await tx.CommitAsync(cancellationToken);
                versions.AddOrUpdate(aggregate, version, (_, old) => Math.Max(old, version));
                if (left <= 0) return;
            }
        }));
        return versions;
    }

    private static async Task ExecuteAsync(DbConnection conn, DbTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(DbConnection conn, DbTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(cancellationToken);
    }
}
