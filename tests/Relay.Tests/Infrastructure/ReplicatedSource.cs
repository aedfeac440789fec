using System.Net;
using Relay.Tests.Crash;
using StackExchange.Redis;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// One source of a given kind into Redis, run by relay replicas as real processes with the same configuration, and a
/// writer for its outbox. The source and stream names are unique to the instance: GET_LOCK names are server-wide, and
/// tests of other runs share the servers. Disposing kills every replica and deletes the streams.
/// </summary>
public sealed class ReplicatedSource : IAsyncDisposable
{
    private static readonly string[] Types = ["order", "invoice"];

    /// <summary>How long a replica may take to start: minutes when the 2-core machine runs other suites beside this one.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(3);
    private readonly List<(RelayProcess Relay, RelayHttp Http)> _replicas = new();
    private readonly string _redis;

    private ReplicatedSource(string kind, OutboxDatabase db, string redis, RedisStreamReader reader, string run, Dictionary<string, string> environment)
    {
        Kind = kind;
        Database = db;
        _redis = redis;
        Reader = reader;
        Run = run;
        Environment = environment;
        Workload = new OutboxWorkload(db, 200, Types);
    }

    public string Kind { get; }
    public OutboxDatabase Database { get; }
    public RedisStreamReader Reader { get; }
    public OutboxWorkload Workload { get; }
    public string Run { get; }

    /// <summary>The source's name: unique, so its lease and binlog server id are this test's own.</summary>
    public string Source => "s" + Run.Replace("-", "", StringComparison.Ordinal);

    /// <summary>The PostgresReplication slot.</summary>
    public string Slot => Run.Replace('-', '_');

    public string RedisConfiguration => _redis;

    /// <summary>Every replica's environment (a test may add keys before starting replicas).</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>A fresh database (on <paramref name="mySqlConnectionString"/> when given, else the shared server) with an outbox and a workload schema.</summary>
    public static async Task<ReplicatedSource> CreateAsync(string kind, string prefix, OutboxDatabase? database = null)
    {
        var redis = await TestServers.RedisAsync();
        var db = database ?? await OutboxDatabase.CreateAsync(kind.StartsWith("MySql", StringComparison.Ordinal) ? OutboxDatabase.MySql : OutboxDatabase.Postgres);
        await db.CreateOutboxAsync();
        var run = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), Types.Select(t => $"{run}.{t}").ToList());
        var source = new ReplicatedSource(kind, db, redis, reader, run, new Dictionary<string, string>());
        await source.Workload.CreateSchemaAsync();
        var key = $"Relay__Sources__{source.Source}__";
        source.Environment[key + "Kind"] = kind;
        source.Environment[key + "ConnectionString"] = db.ConnectionString;
        source.Environment[key + "MaxBatchRows"] = "100";
        source.Environment[key + "Outbox__TopicTemplate"] = run + ".{aggregatetype}";
        source.Environment["Relay__Sinks__main__Kind"] = "Redis";
        source.Environment["Relay__Sinks__main__Configuration"] = redis;
        source.Environment["Relay__Sinks__main__KeyPrefix"] = run + ":";
        source.Environment["Relay__Telemetry__LagInterval"] = "00:00:01";
        source.Environment["Relay__Http__Enabled"] = "true";
        source.Environment["Logging__LogLevel__Default"] = "Warning";
        source.Environment["Logging__LogLevel__Relay"] = "Information";
        if (kind == "PostgresReplication") source.Environment[key + "Slot"] = source.Slot;
        else if (kind == "MySqlBinlog") source.Environment[key + "HeartbeatInterval"] = "00:00:01";
        else source.Environment[key + "PollInterval"] = "00:00:00.05";
        return source;
    }

    /// <summary>Starts a replica (as <paramref name="uid"/> when given) with its HTTP endpoint on a free port.</summary>
    public (RelayProcess Relay, RelayHttp Http) StartReplica(int? uid = null)
    {
        var port = LocalHost.FreePort();
        var replica = (RelayProcess.Start(new Dictionary<string, string>(Environment) { ["Relay__Http__Port"] = port.ToString() }, uid), new RelayHttp(port));
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>Starts a replica and waits until it streams (and, for PostgresReplication, its walsender holds the slot).</summary>
    public async Task<(RelayProcess Relay, RelayHttp Http)> StartActiveAsync(int? uid = null)
    {
        var (relay, http) = StartReplica(uid);
        await http.WaitForReadinessAsync(relay, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, Source) == "streaming", StartDeadline);
        if (Kind == "PostgresReplication") await ((PostgresDatabase)Database).WaitForSlotStreamingAsync(Slot, () => relay.HasExited ? relay.Output : null);
        return (relay, http);
    }

    /// <summary>Starts a replica and waits until it stands by.</summary>
    public async Task<(RelayProcess Relay, RelayHttp Http)> StartStandbyAsync(int? uid = null)
    {
        var (relay, http) = StartReplica(uid);
        await http.WaitForReadinessAsync(relay, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, Source) == "standby", StartDeadline);
        return (relay, http);
    }

    /// <summary>
    /// Starts 3 writers committing <paramref name="rows"/> rows over <paramref name="duration"/> and waits (up to 90 s) until
    /// the active replica published some; returns the writers (the committed version per aggregate).
    /// </summary>
    public async Task<Task<IReadOnlyDictionary<int, int>>> StartWritingAsync(int rows, TimeSpan duration, CancellationToken cancellationToken)
    {
        var writers = Workload.WriteAsync(3, rows, duration, cancellationToken);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (await Reader.CountAsync() == 0 && DateTime.UtcNow < until && !writers.IsFaulted) await Task.Delay(50);
        if (writers.IsFaulted) await writers; // the writers' failure, not the relay's
        Assert.True(await Reader.CountAsync() > 0, $"The active replica published nothing:\n{Outputs}");
        return writers;
    }

    /// <summary>The source's state and active flag from a replica's /readyz; null while the endpoint does not answer.</summary>
    public async Task<(string? State, bool Active)?> StateAsync(RelayHttp http)
    {
        try
        {
            var (_, json) = await http.ReadinessAsync();
            var source = json.GetProperty("sources").GetProperty(Source);
            return (source.GetProperty("state").GetString(), source.GetProperty("active").GetBoolean());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Waits (up to 2 minutes) until <paramref name="rows"/> messages are visible, then asserts each committed row arrived exactly once, in order.</summary>
    public async Task AssertExactlyOnceAsync(int rows, IReadOnlyDictionary<int, int> committed)
    {
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await Reader.CountAsync() < rows && DateTime.UtcNow < end) await Task.Delay(200);
        DeliveredMessage.AssertExactlyOnceInOrder(await Reader.ReadAllAsync(), committed);
    }

    /// <summary>Every replica's output, for a failure message.</summary>
    public string Outputs => string.Join("\n", _replicas.Select((r, i) => $"--- replica {i + 1} ({(r.Relay.HasExited ? $"exited {r.Relay.ExitCode}" : "running")}):\n{r.Relay.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var (relay, http) in _replicas)
        {
            relay.Dispose();
            http.Dispose();
        }
        await Reader.DisposeAsync();
        await using (var mux = await ConnectionMultiplexer.ConnectAsync(_redis))
        {
            var keys = mux.GetServers()[0].Keys(pattern: Run + "*").ToArray();
            if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
        }
        await Database.DisposeAsync();
    }
}
