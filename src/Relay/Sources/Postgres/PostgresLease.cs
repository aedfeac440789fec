using Microsoft.Extensions.Logging;
using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>
/// Makes one relay the only reader of a source: a session-level advisory lock keyed by the source
/// name, held on a dedicated connection for as long as the pipeline runs. A second relay stands by
/// until the first one's session ends (a crash closes it at once), instead of fencing it in the sink.
/// </summary>
public sealed class PostgresLease : ISourceLease
{
    /// <summary>The first key of the two-key advisory lock space Relay uses ("RELA").</summary>
    private const int LockSpace = 0x52454C41;

    private readonly string _connectionString;
    private readonly string _sourceName;
    private readonly ILogger _logger;
    private NpgsqlConnection? _connection;

    public PostgresLease(string connectionString, string sourceName, ILogger logger)
    {
        _connectionString = connectionString;
        _sourceName = sourceName;
        _logger = logger;
    }

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        var warned = false;
        while (true)
        {
            _connection ??= await OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@space, hashtext(@name))", _connection);
            cmd.Parameters.AddWithValue("space", LockSpace);
            cmd.Parameters.AddWithValue("name", "relay:" + _sourceName);
            if ((bool)(await cmd.ExecuteScalarAsync(cancellationToken))!)
            {
                if (warned) _logger.LogInformation("Source {Source}: took over from the other relay", _sourceName);
                return;
            }
            if (!warned)
            {
                _logger.LogInformation("Source {Source}: another relay is reading this source; standing by", _sourceName);
                warned = true;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString)
        {
            Pooling = false, // the lock lives and dies with this very session
            ApplicationName = $"relay-lease:{_sourceName}",
            KeepAlive = 10,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync(); // ends the session, releasing the lock
        _connection = null;
    }
}
