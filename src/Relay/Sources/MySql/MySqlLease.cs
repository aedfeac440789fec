using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Relay.Sources.MySql;

/// <summary>
/// Makes one relay the only reader of a source: GET_LOCK on a name derived from the source name, held by a
/// dedicated session for as long as the pipeline runs. A second relay stands by until the first one's session
/// ends (a crash closes it at once), instead of fencing it in the sink. GET_LOCK is server-wide, like the
/// binlog and unlike a database; the name carries the source name so that sources never share a lock.
/// </summary>
public sealed class MySqlLease : ISourceLease
{
    private readonly string _connectionString;
    private readonly string _sourceName;
    private readonly ILogger _logger;
    private MySqlConnection? _connection;

    public MySqlLease(string connectionString, string sourceName, ILogger logger)
    {
        _connectionString = connectionString;
        _sourceName = sourceName;
        _logger = logger;
    }

    /// <summary>The database session (CONNECTION_ID) holding the lock once acquired: IS_USED_LOCK names it.</summary>
    public long? Session => _connection?.ServerThread;

    /// <summary>The lock's name for a source: at most 64 characters, so a long source name is shortened with a hash to stay unique.</summary>
    public static string LockNameOf(string sourceName)
    {
        var name = "relay:" + sourceName;
        if (name.Length <= 64) return name;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sourceName)))[..16];
        return name[..47] + ":" + hash;
    }

    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        var warned = false;
        while (true)
        {
            _connection ??= await OpenAsync(cancellationToken);
            await using var cmd = new MySqlCommand("SELECT GET_LOCK(@name, 0)", _connection);
            cmd.Parameters.AddWithValue("@name", LockNameOf(_sourceName));
            if (await cmd.ExecuteScalarAsync(cancellationToken) is (long)1 or (int)1)
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

    private async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(_connectionString)
        {
            Pooling = false, // the lock lives and dies with this very session
            ApplicationName = $"relay-lease:{_sourceName}",
            Keepalive = 10,
        };
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync(); // ends the session, releasing the lock
        _connection = null;
    }
}
