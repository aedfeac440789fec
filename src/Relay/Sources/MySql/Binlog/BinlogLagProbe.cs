using Dapper;
using MySqlConnector;
using Relay.Sources.LogTailing;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// The lag of a binlog source. The server keeps no record of a reader's progress (there is no replication slot), so
/// the committed position is the one this process's source last recorded (<see cref="SourceProgress{TPosition}"/>),
/// and it counts only while the lease is this source's or nobody's: while another relay holds it, this replica is a
/// standby and reports just that. From the position: bytes of binlog between it and the server's end (SHOW BINARY LOGS,
/// across files), seconds since the server's binlog went past it (<see cref="LogLagClock"/>), the binlog the server
/// keeps, and whether the committed file is still kept. Runs on a connection of its own.
/// </summary>
internal sealed class BinlogLagProbe : ISourceLagProbe
{
    private readonly string _sourceName;
    private readonly string _connectionString;
    private readonly SourceProgress<BinlogPosition> _progress;
    private readonly BinlogOffsets _offsets = new();
    private readonly LogLagClock _clock = new();

    public BinlogLagProbe(string sourceName, MySqlBinlogOptions options, SourceProgress<BinlogPosition> progress)
    {
        _sourceName = sourceName;
        _connectionString = new MySqlConnectionStringBuilder(options.ConnectionString)
        {
            ApplicationName = $"relay-lag:{sourceName}",
            MaximumPoolSize = 1,
        }.ConnectionString;
        _progress = progress;
    }

    public async Task<SourceLagSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        var recorded = _progress.TryGet(_sourceName, out var progress);
        // A file/position means something only on the server it was read from: MariaDB names it by server_id, MySQL by server_uuid.
        var identity = !recorded ? "NULL" : progress.Position.IsMariaDb ? "CAST(@@server_id AS CHAR)" : "@@server_uuid";
        var (holder, server) = await connection.QuerySingleAsync<(long? Holder, string? Server)>(new CommandDefinition(
            $"SELECT CAST(IS_USED_LOCK(@lease) AS SIGNED), {identity}", new { lease = MySqlLease.LockNameOf(_sourceName) }, cancellationToken: cancellationToken));
        var sample = new SourceLagSample { LeaseHeld = holder is not null };
        if (!recorded || (holder is { } session && session != progress.LeaseSession)) return sample;
        var committed = progress.Position;
        if (server != committed.Server) return sample;

        var files = await BinlogServer.BinlogFilesAsync(connection, cancellationToken);
        if (files.Count == 0) return sample;
        var now = DateTimeOffset.UtcNow;
        if (!_offsets.Update(files)) _clock.Reset();
        var end = _offsets.Offset(files[^1].Name, files[^1].Size)!.Value;
        _clock.Observe(now, end);
        var at = _offsets.Offset(committed.File, committed.Pos);
        return sample with
        {
            LagBytes = at is { } a ? (long)(end > a ? end - a : 0) : null,
            LagSeconds = at is { } b ? _clock.SecondsBehind(now, b) : null,
            RetainedBytes = (long)(end - _offsets.Offset(files[0].Name, 0)!.Value),
            // An undecided XA branch makes a restart read from its prepare: that file is the one the server must keep.
            RetentionStatus = Retention(files, committed.ResumeFile.Length > 0 ? committed.ResumeFile : committed.File),
        };
    }

    /// <summary>
    /// In PostgreSQL's words for a slot's WAL: "lost" when the committed file was purged; "unreserved" when it is the
    /// oldest file kept and no longer written (the next purge removes it); else "reserved".
    /// </summary>
    private static string Retention(List<BinlogFile> files, string committedFile)
    {
        var index = files.FindIndex(f => f.Name == committedFile);
        return index < 0 ? "lost" : index == 0 && files.Count > 1 ? "unreserved" : "reserved";
    }

    /// <summary>Closes the probe's pooled connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await using var connection = new MySqlConnection(_connectionString);
        await MySqlConnection.ClearPoolAsync(connection);
    }
}
