using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace Relay.Testing;

/// <summary>
/// A private MariaDB server for tests that change what the shared one must keep: global binlog settings
/// (checksum, compression), purging binary logs, killing the server. It runs the local mariadbd on a free
/// loopback port with its own data directory, and is removed on dispose. Needs the MariaDB server binaries
/// (scripts/start-mariadb.sh installs them) and root, as the test scripts run; it fails, never skips, without them.
/// </summary>
public sealed class MariaDbInstance : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string[] _settings;
    private Process? _server;

    private MariaDbInstance(string dir, int port, string[] settings)
    {
        _dir = dir;
        Port = port;
        _settings = settings;
    }

    public int Port { get; }

    /// <summary>root (no password) over TCP, no default database.</summary>
    public string AdminConnectionString => $"Server=127.0.0.1;Port={Port};User ID=root;Password=;Database=;Pooling=false";

    /// <summary>The directory holding the binary logs (mysql-bin.NNNNNN).</summary>
    public string BinlogDirectory => Path.Combine(_dir, "data");

    /// <summary>
    /// The server's own tmpdir: mariadbd deletes every #sql* file in its tmpdir at start, so a shared /tmp would let one
    /// starting instance delete the temporary tables of another that is initialising (or of the shared server).
    /// </summary>
    private string TempDirectory => Path.Combine(_dir, "tmp");

    /// <summary>Initialises and starts a server; <paramref name="settings"/> are extra mariadbd options, e.g. "--binlog-checksum=NONE".</summary>
    public static Task<MariaDbInstance> StartAsync(params string[] settings) => StartAsync([], settings);

    /// <summary>
    /// Initialises with <paramref name="initSettings"/> too (options that must hold from the data directory's creation on,
    /// e.g. "--lower-case-table-names=1"), then starts a server with them and <paramref name="settings"/>.
    /// </summary>
    public static async Task<MariaDbInstance> StartAsync(IReadOnlyList<string> initSettings, params string[] settings)
    {
        settings = [.. initSettings, .. settings];
        var dir = Directory.CreateTempSubdirectory("relay-mariadb-").FullName;
        var instance = new MariaDbInstance(dir, LocalHost.FreePort(), settings);
        try
        {
            Directory.CreateDirectory(instance.BinlogDirectory);
            Directory.CreateDirectory(instance.TempDirectory);
            LocalHost.Run("chown", "-R", "mysql:mysql", dir);
            var init = LocalHost.Run("mariadb-install-db", ["--no-defaults", "--user=mysql", $"--datadir={instance.BinlogDirectory}",
                $"--tmpdir={instance.TempDirectory}", "--auth-root-authentication-method=normal", "--skip-test-db", .. initSettings]);
            if (init.ExitCode != 0) throw new InvalidOperationException($"mariadb-install-db failed: {init.Output}");
            await instance.StartServerAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server again on the same data directory and port (after <see cref="KillHard"/> or <see cref="StopAsync"/>).</summary>
    public async Task StartServerAsync()
    {
        var args = new List<string>
        {
            "--no-defaults", "--user=mysql", $"--datadir={BinlogDirectory}", $"--port={Port}", "--bind-address=127.0.0.1",
            $"--socket={Path.Combine(_dir, "mysqld.sock")}", $"--tmpdir={TempDirectory}", $"--pid-file={Path.Combine(_dir, "mysqld.pid")}",
            $"--log-error={Path.Combine(_dir, "error.log")}", "--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW",
            "--binlog-row-image=FULL", "--binlog-row-metadata=FULL", "--plugin-load-add=auth_ed25519",
            "--innodb-buffer-pool-size=32M", "--max-allowed-packet=256M", "--skip-name-resolve",
        };
        args.AddRange(_settings);
        var info = new ProcessStartInfo("mariadbd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        _server = Process.Start(info)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var conn = new MySqlConnection(AdminConnectionString);
                await conn.OpenAsync();
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(100);
            }
            catch (MySqlException e)
            {
                throw new InvalidOperationException($"The private MariaDB did not start: {e.Message}\n{ErrorLog()}", e);
            }
        }
    }

    /// <summary>kill -9 of the server: no shutdown, the binlog is recovered at the next start.</summary>
    public void KillHard()
    {
        if (_server is null || _server.HasExited) return;
        _server.Kill();
        _server.WaitForExit(30_000);
    }

    /// <summary>A clean shutdown (SIGTERM).</summary>
    public async Task StopAsync()
    {
        if (_server is null || _server.HasExited) return;
        LocalHost.Run("kill", "-TERM", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _server.WaitForExitAsync(timeout.Token);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var conn = new MySqlConnection(AdminConnectionString + ";AllowUserVariables=true");
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var conn = new MySqlConnection(AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>The ids of the dump threads serving binlog readers on this server.</summary>
    public async Task<List<long>> DumpThreadsAsync()
    {
        await using var conn = new MySqlConnection(AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync()) ids.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        return ids;
    }

    public string ErrorLog()
    {
        try { return File.ReadAllText(Path.Combine(_dir, "error.log")); }
        catch (IOException) { return "(no error log)"; }
    }

    public async ValueTask DisposeAsync()
    {
        KillHard();
        _server?.Dispose();
        MySqlConnection.ClearAllPools();
        await Task.Yield();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
