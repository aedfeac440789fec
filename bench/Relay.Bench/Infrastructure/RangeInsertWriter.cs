using System.Data.Common;

namespace Relay.Bench.Infrastructure;

/// <summary>Inserts rows first..last with one prepared statement on a connection of its own, whatever the database.</summary>
internal sealed class RangeInsertWriter(DbConnection connection, DbCommand cmd, DbParameter first, DbParameter last) : IOutboxWriter
{
    public async Task InsertAsync(long from, int count)
    {
        first.Value = from;
        last.Value = from + count - 1;
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await cmd.DisposeAsync();
        await connection.DisposeAsync();
    }
}
