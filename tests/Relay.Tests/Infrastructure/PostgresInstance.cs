using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL cluster for tests that need server settings the shared one must not get (a tiny
/// max_slot_wal_keep_size, say) or that fill and switch its WAL. It runs the local server binaries (initdb, pg_ctl)
/// as the postgres user on a free loopback port, with its own data directory and trust authentication for the
/// superuser postgres, and is removed on dispose. Needs the PostgreSQL server package (scripts/start-postgres.sh
/// installs it) and root, as the test scripts run; it fails, never skips, without them.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private readonly string _dir;

    private PostgresInstance(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_dir, "data");

    /// <summary>The superuser postgres over TCP, database postgres.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    /// <summary>Initialises and starts a cluster; <paramref name="settings"/> are postgresql.conf lines, e.g. "max_slot_wal_keep_size = 1MB".</summary>
    public static async Task<PostgresInstance> StartAsync(params string[] settings)
    {
        var dir = Directory.CreateTempSubdirectory("relay-postgres-").FullName;
        var instance = new PostgresInstance(dir, LocalHost.FreePort());
        try
        {
            // The server runs as postgres: it must reach and own its directory.
            LocalHost.Run("chmod", "755", dir);
            LocalHost.Run("chown", "postgres:postgres", dir);
            var init = LocalHost.Run("runuser", "-u", "postgres", "--", Binary("initdb"), "-D", instance.DataDirectory, "-U", "postgres",
                "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C");
            if (init.ExitCode != 0) throw new InvalidOperationException($"initdb failed: {init.Output}");
            File.AppendAllLines(Path.Combine(instance.DataDirectory, "postgresql.conf"),
            [
                $"port = {instance.Port}", "listen_addresses = '127.0.0.1'", $"unix_socket_directories = '{dir}'",
                "wal_level = logical", "fsync = off", "shared_buffers = 16MB", .. settings,
            ]);
            await instance.StartServerAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    private async Task StartServerAsync()
    {
        var start = LocalHost.Run("runuser", "-u", "postgres", "--", Binary("pg_ctl"), "-D", DataDirectory, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "120", "start");
        if (start.ExitCode != 0) throw new InvalidOperationException($"pg_ctl start failed: {start.Output}\n{ServerLog()}");
        await using var conn = new NpgsqlConnection(AdminConnectionString);
        await conn.OpenAsync();
    }

    /// <summary>
    /// Stops the server and starts it again: a clean shutdown (fast: sessions ended, a shutdown checkpoint) or, with
    /// <paramref name="crash"/>, an immediate stop that leaves recovery from the WAL to the next start (a replication
    /// slot then goes back to what its last checkpoint saved).
    /// </summary>
    public async Task RestartAsync(bool crash)
    {
        var stop = LocalHost.Run("runuser", "-u", "postgres", "--", Binary("pg_ctl"), "-D", DataDirectory, "-m", crash ? "immediate" : "fast", "-w", "-t", "120", "stop");
        if (stop.ExitCode != 0) throw new InvalidOperationException($"pg_ctl stop failed: {stop.Output}\n{ServerLog()}");
        NpgsqlConnection.ClearAllPools();
        await StartServerAsync();
    }

    /// <summary>A new database on this cluster, for the superuser.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "relay_t_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync($"CREATE DATABASE {name}");
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async Task ExecuteAsync(string sql, string? connectionString = null)
    {
        await using var conn = new NpgsqlConnection(connectionString ?? AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql, string? connectionString = null)
    {
        await using var conn = new NpgsqlConnection(connectionString ?? AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public string ServerLog()
    {
        try { return File.ReadAllText(Path.Combine(_dir, "server.log")); }
        catch (IOException) { return "(no server log)"; }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            LocalHost.Run("runuser", "-u", "postgres", "--", Binary("pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        await Task.Yield();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A server program of the newest PostgreSQL installed (Debian keeps them out of PATH).</summary>
    private static string Binary(string name)
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var path = versions
            .Select(v => Path.Combine(v, "bin", name))
            .Where(File.Exists)
            .OrderByDescending(p => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .FirstOrDefault();
        return path ?? throw new InvalidOperationException($"No PostgreSQL server program {name} under /usr/lib/postgresql: run scripts/start-postgres.sh.");
    }
}
