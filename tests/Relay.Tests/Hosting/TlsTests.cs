using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Hosting;

/// <summary>
/// The relay process over TLS with every certificate verified, configured as the README's TLS section says:
/// PostgreSQL with SSL Mode=VerifyFull and the CA as Root Certificate, Redis (a server that speaks only TLS)
/// with ssl=true and the CA as CaCertificate. The servers present certificates of scripts/make-test-certs.sh.
/// </summary>
public sealed class TlsTests
{
    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("PostgresPolling")]
    public async Task Publishes_through_verified_TLS_to_PostgreSQL_and_Redis(string kind)
    {
        var (db, env, stream) = await SetupAsync(kind, TestServers.TlsCaFile);
        await using var _ = db;
        await using var redis = await RedisTlsAsync();

        using var relay = RelayProcess.Start(env);
        // Log tailing publishes what commits once its slot streams.
        if (env.TryGetValue("Relay__Sources__orders__Slot", out var slot))
            await db.WaitForSlotStreamingAsync(slot, () => relay.HasExited ? relay.Output : null);
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) " +
                              "SELECT 'order', g::text, 'Created', '{}' FROM generate_series(1, 20) g");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await redis.GetDatabase().StreamLengthAsync(stream) < 20 && DateTime.UtcNow < deadline && !relay.HasExited)
            await Task.Delay(100);
        Assert.True(await redis.GetDatabase().StreamLengthAsync(stream) == 20, relay.Output);

        // Every connection the relay holds to the database is encrypted.
        var relayConnections = await db.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'relay%' AND s.ssl AND a.datname = '{db.Name}'");
        var plain = await db.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'relay%' AND NOT s.ssl AND a.datname = '{db.Name}'");
        Assert.True(relayConnections > 0, "no encrypted relay connection was found");
        Assert.Equal(0L, plain);

        Assert.Equal(0, await relay.StopAsync(TimeSpan.FromSeconds(30)));
        await redis.GetDatabase().KeyDeleteAsync([stream, stream.Split('.')[0] + ":offsets", stream.Split('.')[0] + ":epoch:orders"]);
    }

    [Fact]
    public async Task A_database_certificate_from_another_CA_is_refused_and_nothing_is_published()
    {
        var otherCa = Path.Combine(Directory.CreateTempSubdirectory("relay-tls-").FullName, "other-ca.crt");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=Some other CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(otherCa, certificate.ExportCertificatePem());
        }
        var (db, env, stream) = await SetupAsync("PostgresPolling", otherCa);
        await using var _ = db;
        await using var redis = await RedisTlsAsync();
        await db.ExecuteAsync("INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '1', 'Created', '{}')");

        using var relay = RelayProcess.Start(env);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!relay.Output.Contains("certificate", StringComparison.OrdinalIgnoreCase) && DateTime.UtcNow < deadline && !relay.HasExited)
            await Task.Delay(200);
        await relay.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("certificate", relay.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(stream));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox"));
        File.Delete(otherCa);
    }

    private static async Task<(PostgresDatabase Db, Dictionary<string, string> Env, string Stream)> SetupAsync(string kind, string rootCertificate)
    {
        var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        var tls = new NpgsqlConnectionStringBuilder(db.ConnectionString) { SslMode = SslMode.VerifyFull, RootCertificate = rootCertificate };
        var prefix = "relay-tls-" + Guid.NewGuid().ToString("N")[..8];
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__orders__Kind"] = kind,
            ["Relay__Sources__orders__ConnectionString"] = tls.ConnectionString,
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = prefix + ".{aggregatetype}",
            ["Relay__Sinks__main__Kind"] = "Redis",
            ["Relay__Sinks__main__Configuration"] = await TestServers.RedisTlsAsync() + ",ssl=true,sslHost=localhost",
            ["Relay__Sinks__main__CaCertificate"] = TestServers.TlsCaFile,
            ["Relay__Sinks__main__KeyPrefix"] = prefix + ":",
        };
        if (kind == "PostgresReplication") env["Relay__Sources__orders__Slot"] = prefix.Replace('-', '_');
        return (db, env, prefix + ".order");
    }

    private static async Task<ConnectionMultiplexer> RedisTlsAsync()
    {
        var options = ConfigurationOptions.Parse(await TestServers.RedisTlsAsync() + ",ssl=true");
        options.TrustIssuer(TestServers.TlsCaFile);
        return await ConnectionMultiplexer.ConnectAsync(options);
    }
}
