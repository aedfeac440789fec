using Npgsql;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>The relay process as an operator meets it: configuration errors, fatal errors, SIGTERM.</summary>
public sealed class StartupTests
{
    private static async Task<(PostgresDatabase Db, string Redis, string Prefix)> SetupAsync()
    {
        var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{\"n\":1}')");
        return (db, await TestServers.RedisAsync(), "relay-startup-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private static Dictionary<string, string> PollingToRedis(PostgresDatabase db, string redis, string prefix) =>
        RelayProcess.SourceToRedis("PostgresPolling", db.ConnectionString, redis, prefix);

    [Fact]
    public async Task Bad_configuration_exits_2_naming_every_bad_key_before_touching_the_database_or_broker()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var env = PollingToRedis(db, redis, prefix);
        env.Remove("Relay__Sinks__main__Configuration");
        env["Relay__Sources__orders__MaxBatchRows"] = "0";
        env["Relay__Sources__orders__Outbox__TopicTemplate"] = "outbox.{aggregatetype";
        env["Relay__Sources__audit__Kind"] = "Oracle";

        using var relay = RelayProcess.Start(env);
        Assert.Equal(2, await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var output = relay.Output;
        Assert.Contains("Relay:Sinks:main:Configuration (environment variable Relay__Sinks__main__Configuration)", output);
        Assert.Contains("Relay:Sources:orders:MaxBatchRows", output);
        Assert.Contains("Relay:Sources:orders:Outbox:TopicTemplate", output);
        Assert.Contains("Relay:Sources:audit:Kind", output);
        Assert.Contains("PostgresPolling", output); // the error lists the kinds that exist
        Assert.DoesNotContain("Password=relay", output);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
        Assert.Equal(0L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db.Name}' AND pid <> pg_backend_pid()"));
    }

    [Fact]
    public async Task A_password_in_a_connection_string_never_reaches_the_output()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var env = PollingToRedis(db, redis, prefix);
        env["Relay__Sources__orders__ConnectionString"] = "Host=127.0.0.1;Username=relay;Password=Sup3rSecretPw;Database=nope;Bogus Key=1";
        env["Relay__Sinks__main__Configuration"] = "127.0.0.1:1,password=An0therSecret,connectTimeout=bad";

        using var relay = RelayProcess.Start(env);
        await relay.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, relay.ExitCode);
        Assert.DoesNotContain("Sup3rSecretPw", relay.Output);
        Assert.DoesNotContain("An0therSecret", relay.Output);
    }

    [Fact]
    public async Task A_missing_outbox_table_stops_the_relay_with_exit_code_1_and_the_fix()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        var env = PollingToRedis(db, redis, prefix);
        env["Relay__Sources__orders__Outbox__Table"] = "public.no_such_outbox";

        using var relay = RelayProcess.Start(env);
        Assert.Equal(1, await relay.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("no_such_outbox", relay.Output);
        Assert.Contains("Outbox:Table", relay.Output);
    }

    [Fact]
    public async Task Publishes_then_stops_cleanly_on_SIGTERM()
    {
        var (db, redis, prefix) = await SetupAsync();
        await using var _ = db;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var stream = prefix + ".order";

        using var relay = RelayProcess.Start(PollingToRedis(db, redis, prefix));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await mux.GetDatabase().StreamLengthAsync(stream) < 1 && DateTime.UtcNow < deadline && !relay.HasExited)
            await Task.Delay(100);

        Assert.Equal(1, await mux.GetDatabase().StreamLengthAsync(stream));
        var exitCode = await relay.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"Exit code {exitCode}:\n{relay.Output}");
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
        await mux.GetDatabase().KeyDeleteAsync([stream, prefix + ":offsets", prefix + ":epoch:orders"]);
    }
}
