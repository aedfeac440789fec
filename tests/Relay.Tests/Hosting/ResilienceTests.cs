using System.Net;
using Relay.Tests.Crash;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Relay.Tests.Hosting;

/// <summary>One source's failure stays its own; SIGTERM stops the relay cleanly, mid-stream, without loss or duplicates.</summary>
public sealed class ResilienceTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Source(string name, PostgresDatabase db, string prefix, string table = "public.outbox") => new()
    {
        [$"Relay__Sources__{name}__Kind"] = "PostgresPolling",
        [$"Relay__Sources__{name}__ConnectionString"] = db.ConnectionString,
        [$"Relay__Sources__{name}__Outbox__Table"] = table,
        [$"Relay__Sources__{name}__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
        [$"Relay__Sources__{name}__PollInterval"] = "00:00:00.05",
    };

    private static Dictionary<string, string> RedisSink(string redis, string prefix) => new()
    {
        ["Relay__Sinks__main__Kind"] = "Redis",
        ["Relay__Sinks__main__Configuration"] = redis,
        ["Relay__Sinks__main__KeyPrefix"] = prefix + ":",
    };

    private static async Task DeleteKeysAsync(string redis, string prefix)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var keys = mux.GetServers()[0].Keys(pattern: prefix + "*").ToArray();
        if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
    }

    [Fact]
    public async Task A_source_that_fails_for_good_is_marked_failed_while_the_other_keeps_publishing()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-iso-" + Guid.NewGuid().ToString("N")[..8];
        var port = LocalHost.FreePort();
        var env = RelayHttp.Environment(port);
        foreach (var (k, v) in Source("good", db, prefix).Concat(Source("bad", db, prefix + "-bad", "public.no_such_table")).Concat(RedisSink(redis, prefix)))
            env[k] = v;
        using var http = new RelayHttp(port);
        using var relay = RelayProcess.Start(env);
        try
        {
            var body = await http.WaitForReadinessAsync(relay, (status, json) =>
                RelayHttp.StateOf(json, "bad") == "failed" && RelayHttp.StateOf(json, "good") == "streaming");
            Assert.Contains("no_such_table", body.GetProperty("sources").GetProperty("bad").GetProperty("lastError").GetString());
            var (status, _) = await http.ReadinessAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status); // not every source runs

            // The good source keeps publishing after its neighbour failed.
            await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 5) g");
            await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await mux.GetDatabase().StreamLengthAsync(prefix + ".order") < 5 && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(5, await mux.GetDatabase().StreamLengthAsync(prefix + ".order"));
            Assert.False(relay.HasExited);
            var (_, metrics) = await http.GetAsync("/metrics");
            Assert.Contains("relay_pipeline_state{otel_scope_name=\"Relay\",source=\"bad\",state=\"failed\"} 1", metrics);
            Assert.Matches("relay_errors_total\\{[^}]*error_type=\"RelayFatalException\"[^}]*source=\"bad\"", metrics);
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await DeleteKeysAsync(redis, prefix);
        }
    }

    [Fact]
    public async Task When_every_source_has_failed_the_relay_exits_1()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-allfail-" + Guid.NewGuid().ToString("N")[..8];
        var env = new Dictionary<string, string>();
        foreach (var (k, v) in Source("one", db, prefix, "public.missing_one").Concat(Source("two", db, prefix, "public.missing_two")).Concat(RedisSink(redis, prefix)))
            env[k] = v;
        using var relay = RelayProcess.Start(env);
        Assert.Equal(1, await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("missing_one", relay.Output);
        Assert.Contains("missing_two", relay.Output);
        Assert.Contains("Every source has failed", relay.Output);
        await DeleteKeysAsync(redis, prefix);
    }

    [Fact]
    public async Task A_source_whose_database_is_down_retries_with_backoff_and_recovers_when_it_is_back()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}')");
        var redis = await TestServers.RedisAsync();
        var prefix = "relay-retry-" + Guid.NewGuid().ToString("N")[..8];
        var port = LocalHost.FreePort();
        var env = RelayHttp.Environment(port);
        foreach (var (k, v) in Source("orders", db, prefix).Concat(RedisSink(redis, prefix))) env[k] = v;
        // The relay's role may not log in yet: every attempt fails until it may.
        await db.ExecuteAsync($"REVOKE CONNECT ON DATABASE {db.Name} FROM PUBLIC");
        var role = "relay_retry_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'retry-Pw-1'; GRANT ALL ON outbox TO {role}");
        env["Relay__Sources__orders__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = "retry-Pw-1" }.ConnectionString;
        using var http = new RelayHttp(port);
        using var relay = RelayProcess.Start(env);
        try
        {
            await http.WaitForReadinessAsync(relay, (_, json) => RelayHttp.StateOf(json, "orders") == "retrying");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            string metrics;
            do
            {
                (_, metrics) = await http.GetAsync("/metrics");
                if (metrics.Contains("relay_pipeline_restarts_total")) break;
                await Task.Delay(200);
            } while (DateTime.UtcNow < deadline);
            Assert.Matches("relay_pipeline_restarts_total\\{[^}]*error_type=\"PostgresException\"[^}]*source=\"orders\"\\} [1-9]", metrics);

            await db.ExecuteAsync($"GRANT CONNECT ON DATABASE {db.Name} TO {role}");
            await http.WaitForReadinessAsync(relay, (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(90));
            deadline = DateTime.UtcNow.AddSeconds(30);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
            Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await DeleteKeysAsync(redis, prefix);
            await db.ExecuteAsync($"REVOKE ALL ON outbox FROM {role}; REVOKE ALL ON DATABASE {db.Name} FROM {role}; DROP ROLE {role}");
        }
    }

    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("PostgresPolling")]
    public async Task SIGTERM_mid_stream_stops_within_the_grace_period_and_loses_or_duplicates_nothing(string kind)
    {
        const int rows = 12_000;
        string[] types = ["order", "invoice"];
        var redis = await TestServers.RedisAsync();
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var workload = new OutboxWorkload(db, 300, types);
        await workload.CreateSchemaAsync();
        var run = "sigterm-" + Guid.NewGuid().ToString("N")[..8];
        var env = new Dictionary<string, string>(RedisSink(redis, run))
        {
            ["Relay__Sources__s__Kind"] = kind,
            ["Relay__Sources__s__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__s__Slot"] = run.Replace('-', '_'),
            ["Relay__Sources__s__MaxBatchRows"] = "200",
            ["Relay__Sources__s__PollInterval"] = "00:00:00.02",
            ["Relay__Sources__s__Outbox__TopicTemplate"] = run + ".{aggregatetype}",
            ["Relay__ShutdownTimeout"] = "00:00:20",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (kind == "PostgresPolling") env.Remove("Relay__Sources__s__Slot");
        else env.Remove("Relay__Sources__s__PollInterval");
        await using var reader = new RedisStreamReader(await ConnectionMultiplexer.ConnectAsync(redis), types.Select(t => $"{run}.{t}").ToList());
        try
        {
            if (kind == "PostgresReplication")
            {
                // Log tailing publishes what commits after its slot exists.
                using var first = RelayProcess.Start(env);
                await db.WaitForSlotStreamingAsync(run.Replace('-', '_'), () => first.HasExited ? first.Output : null);
                Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(30)));
            }
            using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var writers = workload.WriteAsync(4, rows, TimeSpan.FromSeconds(20), writing.Token);

            for (var stopCount = 1; stopCount <= 4; stopCount++)
            {
                using var relay = RelayProcess.Start(env);
                var before = await reader.CountAsync();
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await reader.CountAsync() == before && DateTime.UtcNow < deadline) await Task.Delay(20);
                Assert.False(relay.HasExited, relay.Output);
                await Task.Delay(Random.Shared.Next(0, 300));
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var exit = await relay.StopAsync(TimeSpan.FromSeconds(25)); // the grace period is 20 s
                output.WriteLine($"{kind}: SIGTERM #{stopCount} after {await reader.CountAsync()} visible: exit {exit} in {clock.ElapsedMilliseconds} ms");
                Assert.True(exit == 0, $"exit {exit}:\n{relay.Output}");
                Assert.False(relay.Output.Contains("fail:") || relay.Output.Contains("crit:"), $"Something failed on the way out:\n{relay.Output}");
            }

            var committed = await writers;
            using (var last = RelayProcess.Start(env))
            {
                var deadline = DateTime.UtcNow.AddMinutes(2);
                while (await reader.CountAsync() < rows && DateTime.UtcNow < deadline && !last.HasExited) await Task.Delay(200);
                Assert.Equal(0, await last.StopAsync(TimeSpan.FromSeconds(25)));
            }
            DeliveredMessage.AssertExactlyOnceInOrder(await reader.ReadAllAsync(), committed);
        }
        finally
        {
            await DeleteKeysAsync(redis, run);
        }
    }
}
