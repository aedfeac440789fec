using System.Net.Sockets;
using Confluent.Kafka;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using MySqlConnector;
using Npgsql;
using StackExchange.Redis;
using Testcontainers.Kafka;
using Testcontainers.MySql;
using Testcontainers.PostgreSql;
using Testcontainers.Redis;

namespace Relay.Testing;

/// <summary>
/// The real servers tests run against, found in this order: an environment variable naming one
/// (RELAY_TEST_POSTGRES, RELAY_TEST_REDIS, RELAY_TEST_MYSQL, RELAY_TEST_KAFKA_BOOTSTRAP); a container started by
/// Testcontainers when a Docker engine is reachable; the local servers that scripts/test-servers.sh
/// starts. Kafka without either falls back to librdkafka's mock cluster. A server that cannot be
/// reached fails the test with the fix; it never skips it.
/// </summary>
public static class TestServers
{
    private const string LocalPostgres = "Host=127.0.0.1;Port=5432;Username=relay;Password=relay;Database=relay";
    private const string LocalRedis = "127.0.0.1:6379";
    private const string LocalMySql = "Server=127.0.0.1;Port=3306;User ID=relay;Password=relay;Database=relay";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _postgres;
    private static string? _redis;
    private static string? _mySql;
    private static string? _mySql8;
    private static bool _mySql8Looked;
    private static KafkaCluster? _kafka;
    private static readonly List<IContainer> Containers = new();

    public static bool DockerAvailable { get; } =
        File.Exists("/var/run/docker.sock") || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>An admin connection string to a database where the test role may create databases.</summary>
    public static async Task<string> PostgresAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_postgres is not null) return _postgres;
            var configured = Environment.GetEnvironmentVariable("RELAY_TEST_POSTGRES");
            if (string.IsNullOrEmpty(configured) && DockerAvailable)
            {
                var container = new PostgreSqlBuilder("postgres:16")
                    .WithCommand("-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20")
                    .Build();
                await container.StartAsync();
                Containers.Add(container);
                configured = container.GetConnectionString();
            }
            configured ??= LocalPostgres;
            await using (var conn = new NpgsqlConnection(configured))
            {
                try { await conn.OpenAsync(); }
                catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
                {
                    throw new InvalidOperationException(
                        "PostgreSQL is not reachable for the tests. Run `eval \"$(scripts/test-servers.sh)\"` first, " +
                        "or set RELAY_TEST_POSTGRES to a server with wal_level=logical. " + e.Message, e);
                }
            }
            return _postgres = configured;
        }
        finally { Gate.Release(); }
    }

    /// <summary>A Redis configuration string (host:port).</summary>
    public static async Task<string> RedisAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_redis is not null) return _redis;
            var configured = Environment.GetEnvironmentVariable("RELAY_TEST_REDIS");
            if (string.IsNullOrEmpty(configured) && DockerAvailable)
            {
                var container = new RedisBuilder("redis:7").Build();
                await container.StartAsync();
                Containers.Add(container);
                configured = container.GetConnectionString();
            }
            configured ??= LocalRedis;
            try
            {
                await using var mux = await ConnectionMultiplexer.ConnectAsync(configured + ",abortConnect=true,connectTimeout=3000");
                await mux.GetDatabase().PingAsync();
            }
            catch (RedisConnectionException e)
            {
                throw new InvalidOperationException(
                    "Redis is not reachable for the tests. Run `eval \"$(scripts/test-servers.sh)\"` first, or set RELAY_TEST_REDIS. " + e.Message, e);
            }
            return _redis = configured;
        }
        finally { Gate.Release(); }
    }

    /// <summary>A NATS server with JetStream (RELAY_TEST_NATS, else scripts/start-nats.sh's nats://127.0.0.1:4222).</summary>
    public static Task<string> NatsAsync() =>
        ReachableAsync("RELAY_TEST_NATS", "nats://127.0.0.1:4222", "NATS");

    /// <summary>A RabbitMQ AMQP URI (RELAY_TEST_RABBITMQ, else scripts/start-rabbitmq.sh's amqp://relay:relay@127.0.0.1:5672/).</summary>
    public static Task<string> RabbitMqAsync() =>
        ReachableAsync("RELAY_TEST_RABBITMQ", "amqp://relay:relay@127.0.0.1:5672/", "RabbitMQ");

    /// <summary>The configured or local URL of a server, once its port accepts a connection.</summary>
    private static async Task<string> ReachableAsync(string variable, string local, string name)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(configured)) configured = local;
        var uri = new Uri(configured.Split(',')[0]);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(uri.Host, uri.Port).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"{name} is not reachable for the tests at {uri.Host}:{uri.Port}. Run `eval \"$(scripts/test-servers.sh)\"` first, or set {variable}. {e.Message}", e);
        }
        return configured;
    }

    /// <summary>
    /// The CA whose certificate the TLS test servers present (scripts/make-test-certs.sh), or RELAY_TEST_TLS_CA.
    /// The PostgreSQL of RELAY_TEST_POSTGRES must present one it issued, for localhost and 127.0.0.1.
    /// </summary>
    public static string TlsCaFile
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("RELAY_TEST_TLS_CA") is { Length: > 0 } configured ? configured : "/var/lib/relay-test/tls/ca.crt";
            return File.Exists(path) ? path : throw new InvalidOperationException(
                $"The test CA '{path}' does not exist. Run `eval \"$(scripts/test-servers.sh)\"` first (it runs scripts/make-test-certs.sh), or set RELAY_TEST_TLS_CA.");
        }
    }

    /// <summary>A Redis that speaks only TLS with a certificate of <see cref="TlsCaFile"/> (host:port, without ssl=true).</summary>
    public static async Task<string> RedisTlsAsync()
    {
        var configured = Environment.GetEnvironmentVariable("RELAY_TEST_REDIS_TLS") is { Length: > 0 } address ? address : "127.0.0.1:6380";
        var options = ConfigurationOptions.Parse(configured + ",ssl=true,abortConnect=true,connectTimeout=3000");
        options.TrustIssuer(TlsCaFile);
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
            await mux.GetDatabase().PingAsync();
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException(
                "Redis with TLS is not reachable for the tests. Run `eval \"$(scripts/test-servers.sh)\"` first (scripts/start-redis.sh --tls), " +
                "or set RELAY_TEST_REDIS_TLS. " + e.Message, e);
        }
        return configured;
    }

    /// <summary>
    /// An admin connection string to a MariaDB or MySQL server whose binary log is on (ROW format, FULL row
    /// image and metadata), where the test role may create databases and users and read the binlog.
    /// </summary>
    public static async Task<string> MySqlAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_mySql is not null) return _mySql;
            var configured = Environment.GetEnvironmentVariable("RELAY_TEST_MYSQL");
            if (string.IsNullOrEmpty(configured) && DockerAvailable)
            {
                var container = new ContainerBuilder("mariadb:10.11")
                    .WithPortBinding(3306, true)
                    .WithEnvironment("MARIADB_ROOT_PASSWORD", "relay")
                    .WithCommand("--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
                        "--binlog-row-metadata=FULL", "--plugin-load-add=auth_ed25519")
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted("mariadb-admin", "ping", "-prelay"))
                    .Build();
                await container.StartAsync();
                Containers.Add(container);
                configured = $"Server={container.Hostname};Port={container.GetMappedPublicPort(3306)};User ID=root;Password=relay;Database=mysql";
            }
            configured ??= LocalMySql;
            await using (var conn = new MySqlConnection(configured))
            {
                try { await conn.OpenAsync(); }
                catch (MySqlException e)
                {
                    throw new InvalidOperationException(
                        "MariaDB/MySQL is not reachable for the tests. Run `eval \"$(scripts/test-servers.sh)\"` first, " +
                        "or set RELAY_TEST_MYSQL to a server with binlog_format=ROW. " + e.Message, e);
                }
            }
            return _mySql = configured;
        }
        finally { Gate.Release(); }
    }

    /// <summary>
    /// A MySQL 8 server (binlog in ROW format with FULL row metadata, GTIDs on) when one is given (RELAY_TEST_MYSQL8) or
    /// Docker is reachable; null otherwise — only MariaDB is installable here, so MySQL 8's own paths are covered by
    /// byte vectors from its documentation, and the tests that need the real server say so when they skip.
    /// </summary>
    public static async Task<string?> MySql8Async()
    {
        await Gate.WaitAsync();
        try
        {
            if (_mySql8Looked) return _mySql8;
            _mySql8Looked = true;
            var configured = Environment.GetEnvironmentVariable("RELAY_TEST_MYSQL8");
            if (string.IsNullOrEmpty(configured) && DockerAvailable)
            {
                var container = new MySqlBuilder("mysql:8.4")
                    .WithCommand("--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
                        "--binlog-row-metadata=FULL", "--gtid-mode=ON", "--enforce-gtid-consistency=ON")
                    .Build();
                await container.StartAsync();
                Containers.Add(container);
                configured = new MySqlConnectionStringBuilder(container.GetConnectionString()) { UserID = "root", Password = "mysql" }.ConnectionString;
            }
            return _mySql8 = string.IsNullOrEmpty(configured) ? null : configured;
        }
        finally { Gate.Release(); }
    }

    /// <summary>A Kafka cluster: a real one when given (env var or Docker), else librdkafka's mock cluster.</summary>
    public static async Task<KafkaCluster> KafkaAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_kafka is not null) return _kafka;
            var configured = Environment.GetEnvironmentVariable("RELAY_TEST_KAFKA_BOOTSTRAP");
            if (!string.IsNullOrEmpty(configured)) return _kafka = new KafkaCluster(configured, isMock: false, holder: null);
            if (DockerAvailable)
            {
                var container = new KafkaBuilder("confluentinc/cp-kafka:7.6.1").Build();
                await container.StartAsync();
                Containers.Add(container);
                return _kafka = new KafkaCluster(container.GetBootstrapAddress(), isMock: false, holder: null);
            }
            return _kafka = KafkaCluster.StartMock(brokers: 3);
        }
        finally { Gate.Release(); }
    }
}

/// <summary>A Kafka cluster for tests. The mock keeps living while its holder client lives.</summary>
public sealed class KafkaCluster
{
    private readonly IAdminClient? _holder;

    public KafkaCluster(string bootstrapServers, bool isMock, IAdminClient? holder)
    {
        BootstrapServers = bootstrapServers;
        IsMock = isMock;
        _holder = holder;
    }

    public string BootstrapServers { get; }

    /// <summary>The mock hands aborted transactional messages to read_committed consumers; tests that need that filtering need a real cluster.</summary>
    public bool IsMock { get; }

    /// <summary>The client that owns the mock cluster; its native handle reaches librdkafka's mock API.</summary>
    public IAdminClient? MockHolder => _holder;

    public static KafkaCluster StartMock(int brokers)
    {
        var holder = new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = "localhost:1", // ignored by the mock; required by the builder
        }.SetMockBrokers(brokers)).Build();
        var metadata = holder.GetMetadata(TimeSpan.FromSeconds(10));
        var bootstrap = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        return new KafkaCluster(bootstrap, isMock: true, holder);
    }
}

public static class MockConfig
{
    public static T SetMockBrokers<T>(this T config, int brokers) where T : ClientConfig
    {
        config.Set("test.mock.num.brokers", brokers.ToString());
        return config;
    }
}
