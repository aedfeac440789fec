using System.Diagnostics;
using System.Net;
using Relay.Tests.Crash;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Hosting;

/// <summary>
/// Two replicas with the same configuration: one active per source, the other standing by (and saying so on
/// /readyz); kill -9 of the active one and the standby takes over, losing and duplicating nothing. The takeover time is
/// printed (README quotes it), not asserted: a loaded machine stretches it; the deadline only catches a standby that never takes over.
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("PostgresPolling")]
    [InlineData("MySqlBinlog")]
    [InlineData("MySqlPolling")]
    public async Task The_standby_takes_over_after_a_kill_9_exactly_once(string kind)
    {
        const int rows = 8_000;
        string[] types = ["order", "invoice"];
        var redis = await TestServers.RedisAsync();
        await using var db = await OutboxDatabase.CreateAsync(kind.StartsWith("MySql", StringComparison.Ordinal) ? OutboxDatabase.MySql : OutboxDatabase.Postgres);
        await db.CreateOutboxAsync();
        var workload = new OutboxWorkload(db, 300, types);
        await workload.CreateSchemaAsync();
        var run = "ha-" + Guid.NewGuid().ToString("N")[..8];
        var slot = run.Replace('-', '_');
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__s__Kind"] = kind,
            ["Relay__Sources__s__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__s__MaxBatchRows"] = "200",
            ["Relay__Sources__s__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = redis,
            ["Relay__Sinks__main__KeyPrefix"] = run + ":",
            ["Relay__Telemetry__LagInterval"] = "00:00:01",
            ["Relay__Http__Enabled"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Relay"] = "Information",
        };
        if (kind == "PostgresReplication") env["Relay__Sources__s__Slot"] = slot;
        else if (kind == "MySqlBinlog") env["Relay__Sources__s__HeartbeatInterval"] = "00:00:01";
        else env["Relay__Sources__s__PollInterval"] = "00:00:00.05";

        await using var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), types.Select(t => $"{run}.{t}").ToList());
        var replicas = new List<(RelayProcess Relay, RelayHttp Http)>();
        (RelayProcess, RelayHttp) StartReplica()
        {
            var port = LocalHost.FreePort();
            var replica = (RelayProcess.Start(new Dictionary<string, string>(env) { ["Relay__Http__Port"] = port.ToString() }), new RelayHttp(port));
            replicas.Add(replica);
            return replica;
        }

        try
        {
            var (active, activeHttp) = StartReplica();
            await activeHttp.WaitForReadinessAsync(active, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, "s") == "streaming");
            if (kind == "PostgresReplication") await ((PostgresDatabase)db).WaitForSlotStreamingAsync(slot, () => active.HasExited ? active.Output : null);

            using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var committed = new Dictionary<int, int>();
            for (var round = 1; round <= 2; round++)
            {
                var (standby, standbyHttp) = StartReplica();
                // A healthy standby is ready: it stands by, it is not the active replica.
                var waiting = await standbyHttp.WaitForReadinessAsync(standby, (status, json) => status == HttpStatusCode.OK && RelayHttp.StateOf(json, "s") == "standby");
                Assert.False(waiting.GetProperty("sources").GetProperty("s").GetProperty("active").GetBoolean());
                var (_, standbyMetrics) = await standbyHttp.GetAsync("/metrics");
                Assert.Contains("relay_source_active{otel_scope_name=\"Relay\",source=\"s\"} 0", standbyMetrics);
                var (_, activeMetrics) = await activeHttp.GetAsync("/metrics");
                Assert.Contains("relay_source_active{otel_scope_name=\"Relay\",source=\"s\"} 1", activeMetrics);

                // Mid-stream: the active replica is publishing when it dies. Each round writes its own rows once both
                // replicas are up, so a slow start of the standby cannot leave the writers done before the kill.
                var before = await reader.CountAsync();
                var writers = workload.WriteAsync(4, rows / 2, TimeSpan.FromSeconds(12), writing.Token);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await reader.CountAsync() == before && DateTime.UtcNow < deadline && !writers.IsCompleted) await Task.Delay(20);
                if (writers.IsFaulted) await writers; // the writers' failure, not the relay's
                Assert.True(await reader.CountAsync() > before,
                    $"The active replica published nothing ({before} visible, {await db.CountAsync()} rows in the outbox, writers {(writers.IsCompleted ? "done" : "writing")}):\n{active.Output}");

                active.KillHard();
                var clock = Stopwatch.StartNew();
                var atKill = await reader.CountAsync();
                TimeSpan? streaming = null, published = null;
                while (clock.Elapsed < Deadline && (streaming is null || published is null))
                {
                    if (published is null && await reader.CountAsync() > atKill) published = clock.Elapsed;
                    if (streaming is null)
                    {
                        try
                        {
                            var (_, json) = await standbyHttp.ReadinessAsync();
                            if (RelayHttp.StateOf(json, "s") == "streaming") streaming = clock.Elapsed;
                        }
                        catch (HttpRequestException) { }
                    }
                    await Task.Delay(10);
                }
                output.WriteLine($"{kind} round {round}: after kill -9 of the active replica the standby reported streaming in " +
                                 $"{streaming?.TotalSeconds:F2} s and published its first batch in {published?.TotalSeconds:F2} s");
                Assert.True(streaming is not null, $"The standby did not take over within {Deadline.TotalSeconds} s:\n{standby.Output}");
                Assert.True(published is not null, $"The standby published nothing within {Deadline.TotalSeconds} s:\n{standby.Output}");
                (active, activeHttp) = (standby, standbyHttp);
                foreach (var (aggregate, version) in await writers)
                    committed[aggregate] = Math.Max(committed.GetValueOrDefault(aggregate), version);
            }

            var end = DateTime.UtcNow.AddMinutes(2);
            while (await reader.CountAsync() < rows && DateTime.UtcNow < end) await Task.Delay(200);
            DeliveredMessage.AssertExactlyOnceInOrder(await reader.ReadAllAsync(), committed);
        }
        finally
        {
            foreach (var (relay, http) in replicas)
            {
                relay.Dispose();
                http.Dispose();
            }
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            var keys = mux.GetServers()[0].Keys(pattern: run + "*").ToArray();
            if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
        }
    }
}
