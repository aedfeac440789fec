using System.Text;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>
/// The latency limit of WAL tailing: Npgsql's pgoutput reader in the bench process, handing each inserted row's text
/// columns to a callback the moment it decodes them, with no sink in between. Under the same writers, what it sees is
/// how soon any .NET reader of the WAL could see a commit on this machine.
/// </summary>
public sealed class BareWalWatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly LogicalReplicationConnection _connection;
    private Task _reading = Task.CompletedTask;

    private BareWalWatcher(LogicalReplicationConnection connection) => _connection = connection;

    public static async Task<BareWalWatcher> StartAsync(string connectionString, string slot, string publication, Action<ReadOnlyMemory<byte>, long> onMessage)
    {
        var connection = new LogicalReplicationConnection(connectionString);
        await connection.Open();
        var watcher = new BareWalWatcher(connection);
        watcher._reading = watcher.ReadAsync(slot, publication, onMessage);
        return watcher;
    }

    private async Task ReadAsync(string slot, string publication, Action<ReadOnlyMemory<byte>, long> onMessage)
    {
        try
        {
            await foreach (var message in _connection.StartReplication(
                               new PgOutputReplicationSlot(slot), new PgOutputReplicationOptions(publication, PgOutputProtocolVersion.V1), _stop.Token))
            {
                if (message is not InsertMessage insert) continue;
                var seenAt = BenchClock.Now;
                await foreach (var value in insert.NewRow)
                {
                    if (value.IsDBNull || value.IsUnchangedToastedValue) continue;
                    var text = await value.Get<string>();
                    if (text.Contains("\"n\"", StringComparison.Ordinal)) onMessage(Encoding.UTF8.GetBytes(text), seenAt);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _reading; }
        catch (Exception e) when (e is OperationCanceledException or Npgsql.NpgsqlException) { }
        await _connection.DisposeAsync();
    }
}
