using System.Net;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>
/// Passwords set for the database, Redis and Kafka (sasl.password) never leave the process: not in its log,
/// nor in /healthz, /readyz and /metrics, nor in the errors of connections that fail, nor in the CLI's output.
/// </summary>
[Collection("Kafka")]
public sealed class SecretsTests
{
    [Fact]
    public async Task No_password_appears_in_anything_the_relay_prints_or_serves()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var pgPassword = "Pg-S3cret-" + suffix;
        var wrongPgPassword = "Wrong-Pg-S3cret-" + suffix;
        var redisPassword = "Rd-S3cret-" + suffix;
        var kafkaPassword = "Kf-S3cret-" + suffix;
        string[] secrets = [pgPassword, wrongPgPassword, redisPassword, kafkaPassword];

        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var role = "relay_sec_" + suffix;
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{pgPassword}'; GRANT SELECT, UPDATE, DELETE ON outbox TO {role}");
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 5) g");
        var redis = await TestServers.RedisAsync();
        var redisUser = "relay_sec_" + suffix;
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
        await admin.GetServers()[0].ExecuteAsync("ACL", "SETUSER", redisUser, "on", ">" + redisPassword, "~*", "&*", "+@all");
        var cluster = await TestServers.KafkaAsync();
        var prefix = "relay-sec-" + suffix;
        var port = LocalHost.FreePort();

        var good = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = pgPassword }.ConnectionString;
        var wrong = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = wrongPgPassword }.ConnectionString;
        var env = RelayHttp.Environment(port);
        foreach (var (key, value) in new Dictionary<string, string>
                 {
                     // Publishes: a database password and a Redis ACL user's password.
                     ["Relay__Sources__orders__Kind"] = "PostgresPolling",
                     ["Relay__Sources__orders__ConnectionString"] = good,
                     ["Relay__Sources__orders__Sink"] = "redis",
                     ["Relay__Sources__orders__PollInterval"] = "00:00:00.05",
                     ["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
                     // Fails to log in: a wrong database password.
                     ["Relay__Sources__wrongpw__Kind"] = "PostgresPolling",
                     ["Relay__Sources__wrongpw__ConnectionString"] = wrong,
                     ["Relay__Sources__wrongpw__Sink"] = "redis",
                     // Kafka with SASL over plaintext: the broker (the mock here) does not speak it, so it fails too.
                     ["Relay__Sources__tokafka__Kind"] = "PostgresPolling",
                     ["Relay__Sources__tokafka__ConnectionString"] = good,
                     ["Relay__Sources__tokafka__Sink"] = "kafka",
                     ["Relay__Sources__tokafka__Outbox__Table"] = "public.outbox_kafka",
                     ["Relay__Sinks__redis__Kind"] = "Redis",
                     ["Relay__Sinks__redis__Configuration"] = $"{redis},user={redisUser},password={redisPassword}",
                     ["Relay__Sinks__redis__KeyPrefix"] = prefix + ":",
                     ["Relay__Sinks__kafka__Kind"] = "Kafka",
                     ["Relay__Sinks__kafka__BootstrapServers"] = cluster.BootstrapServers,
                     ["Relay__Sinks__kafka__OffsetsTopic"] = prefix + ".offsets",
                     ["Relay__Sinks__kafka__Config__security.protocol"] = "SASL_PLAINTEXT",
                     ["Relay__Sinks__kafka__Config__sasl.mechanism"] = "PLAIN",
                     ["Relay__Sinks__kafka__Config__sasl.username"] = "relay",
                     ["Relay__Sinks__kafka__Config__sasl.password"] = kafkaPassword,
                     ["Relay__Sinks__kafka__Config__socket.timeout.ms"] = "3000",
                     ["Relay__Telemetry__LagInterval"] = "00:00:00.5",
                     ["Logging__LogLevel__Default"] = "Debug",
                 })
            env[key] = value;
        await db.ExecuteAsync($"CREATE TABLE outbox_kafka (LIKE outbox INCLUDING ALL); GRANT SELECT, UPDATE, DELETE ON outbox_kafka TO {role}");
        await db.ExecuteAsync("INSERT INTO outbox_kafka (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}')");

        var served = new List<string>();
        using var http = new RelayHttp(port);
        using var relay = RelayProcess.Start(env);
        try
        {
            var ready = await http.WaitForReadinessAsync(relay, (status, json) =>
                RelayHttp.StateOf(json, "orders") == "streaming" && RelayHttp.StateOf(json, "wrongpw") is "retrying" or "failed"
                && json.GetProperty("sources").GetProperty("wrongpw").TryGetProperty("lastError", out var error) && error.GetString()!.Contains("28P01"));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>("SELECT count(*) FROM outbox") > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox")); // the passwords work where they are right
            // The Kafka sink logged its settings (masked), and its client tried and failed a few times, with its errors in the log.
            await relay.WaitForOutputAsync("sasl.password=[redacted]");
            await relay.WaitForOutputAsync("Source tokafka: Kafka client", times: 3);
            foreach (var path in new[] { "/healthz", "/readyz", "/metrics" })
            {
                var (status, body) = await http.GetAsync(path);
                served.Add(body);
                Assert.True(path == "/readyz" || status == HttpStatusCode.OK, $"{path}: {status}");
            }
            Assert.Contains("28P01", ready.ToString() + served[1]); // the wrong password's failure is reported, by its code, not its value
            await relay.StopAsync(TimeSpan.FromSeconds(40));

            var cli = new List<string>();
            foreach (var args in new[] { new[] { "validate", "--connect" }, ["offsets", "show"], ["setup"] })
            {
                using var command = RelayProcess.Start(env, args);
                await command.WaitForExitAsync(TimeSpan.FromSeconds(90));
                cli.Add(command.Output);
            }
            Assert.Contains("28P01", cli[0]);

            var everything = string.Join("\n", served.Append(relay.Output).Concat(cli));
            Assert.Contains("sasl.password=[redacted]", relay.Output); // the Kafka sink ran and logged its settings, masked
            foreach (var secret in secrets) Assert.DoesNotContain(secret, everything);
        }
        finally
        {
            await admin.GetServers()[0].ExecuteAsync("ACL", "DELUSER", redisUser);
            var keys = admin.GetServers()[0].Keys(pattern: prefix + "*").ToArray();
            if (keys.Length > 0) await admin.GetDatabase().KeyDeleteAsync(keys);
            await db.ExecuteAsync($"REVOKE ALL ON outbox, outbox_kafka FROM {role}; DROP ROLE {role}");
        }
    }
}
