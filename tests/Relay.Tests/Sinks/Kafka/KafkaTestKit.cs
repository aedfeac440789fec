using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Relay.Sinks.Kafka;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.Kafka;

/// <summary>Builds Kafka sinks from in-memory configuration and reads topics back, every wait bounded.</summary>
internal sealed class KafkaTestKit
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public KafkaTestKit(KafkaCluster cluster) => Cluster = cluster;

    public KafkaCluster Cluster { get; }
    public CapturingLoggerProvider Logs { get; } = new();

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public SinkContext Context(IDictionary<string, string?>? settings = null, string sinkName = "kafka")
    {
        var values = new Dictionary<string, string?>
        {
            [$"Relay:Sinks:{sinkName}:Kind"] = "Kafka",
            [$"Relay:Sinks:{sinkName}:BootstrapServers"] = Cluster.BootstrapServers,
            // Short enough that a test about a failure does not wait a minute.
            [$"Relay:Sinks:{sinkName}:TransactionTimeout"] = "00:00:20",
        };
        // The mock cannot create topics (the admin call waits for a controller it never gets); it
        // auto-creates them on first produce instead. One test covers the attempt and its warning.
        if (Cluster.IsMock) values[$"Relay:Sinks:{sinkName}:CreateOffsetsTopic"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[$"Relay:Sinks:{sinkName}:{key}"] = value;
        return RelayServices.Sink(values, sinkName, b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs));
    }

    public IOutboxSink CreateSink(IDictionary<string, string?>? settings = null, string source = "orders")
    {
        var factory = new KafkaSinkFactory();
        var context = Context(settings);
        Assert.Empty(factory.Validate(context));
        return factory.Create(context, source);
    }

    public static OutboxMessage Message(string topic, string key, string value, string id) =>
        new(topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value),
            [new("id", Encoding.UTF8.GetBytes(id)), new("type", "OrderCreated"u8.ToArray())])
        {
            EventId = id,
        };

    public static CancellationToken Bounded() => new CancellationTokenSource(Timeout).Token;

    /// <summary>Every record of the topic (all partitions, read_uncommitted unless asked), waiting until at least <paramref name="expected"/> arrived.</summary>
    public List<ConsumeResult<byte[], byte[]>> ReadTopic(string topic, int expected, IsolationLevel isolation = IsolationLevel.ReadUncommitted, TimeSpan? wait = null)
    {
        var partitions = PartitionCount(topic);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            GroupId = "relay-tests-reader",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = isolation,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));

        var results = new List<ConsumeResult<byte[], byte[]>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow + (wait ?? Timeout);
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null) continue;
            if (r.IsPartitionEOF)
            {
                atEnd.Add(r.Partition.Value);
                if (atEnd.Count == partitions && results.Count >= expected) break;
                continue;
            }
            atEnd.Remove(r.Partition.Value);
            results.Add(r);
        }
        return results;
    }

    public int PartitionCount(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Cluster.BootstrapServers }).Build();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
            var t = metadata.Topics.Single();
            if (!t.Error.IsError && t.Partitions.Count > 0) return t.Partitions.Count;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Topic {topic} has no partitions: {t.Error}");
            Thread.Sleep(100);
        }
    }

    public static string Text(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    public static string Header(ConsumeResult<byte[], byte[]> r, string name) =>
        Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(name));
}

/// <summary>Keeps every log line (with exception text) so tests can look for leaks.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}
