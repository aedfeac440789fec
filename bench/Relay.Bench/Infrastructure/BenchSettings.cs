namespace Relay.Bench.Infrastructure;

/// <summary>How big a run is: quick (about three minutes), standard (about 20 minutes on 2 cores), or full (the 10M-row backlog, 1M-row transaction).</summary>
public enum BenchMode
{
    Quick,
    Standard,
    Full,
}

/// <summary>The run's sizes and the servers it talks to, from the command line and environment variables.</summary>
public sealed class BenchSettings
{
    public BenchMode Mode { get; init; } = BenchMode.Standard;

    /// <summary>Only scenarios whose name contains one of these words run (empty: all).</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>Only catch-up workloads whose name contains this text run (null: all).</summary>
    public string? Workload { get; init; }

    public string Postgres { get; init; } = Env("RELAY_BENCH_POSTGRES", "Host=127.0.0.1;Port=5432;Username=relay;Password=relay;Database=relay");
    public string MySql { get; init; } = Env("RELAY_BENCH_MYSQL", "Server=127.0.0.1;Port=3306;User ID=relay;Password=relay;Database=relay");
    public string Redis { get; init; } = Env("RELAY_BENCH_REDIS", "127.0.0.1:6379");
    public string Nats { get; init; } = Env("RELAY_BENCH_NATS", "nats://127.0.0.1:4222");
    public string RabbitMq { get; init; } = Env("RELAY_BENCH_RABBITMQ", "amqp://relay:relay@127.0.0.1:5672/");

    /// <summary>A real Kafka cluster; librdkafka's mock cluster (3 brokers, in this process) when unset.</summary>
    public string? KafkaBootstrap { get; init; } = Environment.GetEnvironmentVariable("RELAY_BENCH_KAFKA_BOOTSTRAP") is { Length: > 0 } k ? k : null;

    public string ResultsDirectory { get; init; } = "bench/results";

    /// <summary>Rows per catch-up drain (each source kind, each sink, each transaction shape).</summary>
    public int CatchUpRows => RowsOverride ?? Mode switch { BenchMode.Quick => 10_000, BenchMode.Standard => 100_000, _ => 200_000 };

    /// <summary>--rows N: catch-up drains of N rows whatever the mode (for profiling one workload).</summary>
    public int? RowsOverride { get; init; }

    /// <summary>The big backlog whose drain measures memory and CPU per million messages.</summary>
    public int BacklogRows => Mode switch { BenchMode.Quick => 50_000, BenchMode.Standard => 500_000, _ => 10_000_000 };

    /// <summary>The single large transaction.</summary>
    public int LargeTransactionRows => Mode switch { BenchMode.Quick => 50_000, BenchMode.Standard => 500_000, _ => 1_000_000 };

    /// <summary>How long writers run at each offered rate.</summary>
    public TimeSpan LatencyDuration => Mode switch { BenchMode.Quick => TimeSpan.FromSeconds(4), BenchMode.Standard => TimeSpan.FromSeconds(8), _ => TimeSpan.FromSeconds(20) };

    public int[] OfferedRates => Mode == BenchMode.Quick ? [5_000] : [1_000, 5_000, 20_000, 0];

    /// <summary>Offered rates of single-row transactions for the fixed-rate runs (RELAY_BENCH_FIXED_RATES=100,1000 to choose).</summary>
    public int[] FixedRates { get; init; } = Environment.GetEnvironmentVariable("RELAY_BENCH_FIXED_RATES") is { Length: > 0 } rates
        ? rates.Split(',').Select(int.Parse).ToArray()
        : [100, 1_000, 5_000];

    /// <summary>How long the writer runs at each fixed rate (RELAY_BENCH_FIXED_SECONDS overrides).</summary>
    public TimeSpan FixedRateDuration => Environment.GetEnvironmentVariable("RELAY_BENCH_FIXED_SECONDS") is { Length: > 0 } s
        ? TimeSpan.FromSeconds(double.Parse(s, System.Globalization.CultureInfo.InvariantCulture))
        : Mode switch { BenchMode.Quick => TimeSpan.FromSeconds(8), BenchMode.Standard => TimeSpan.FromSeconds(30), _ => TimeSpan.FromSeconds(60) };

    public int GrowthRows => Mode switch { BenchMode.Quick => 10_000, BenchMode.Standard => 50_000, _ => 200_000 };

    public const int PayloadBytes = 300;

    /// <summary>The sinks catch-up drains go into (RELAY_BENCH_SINKS=redis,kafka to choose); every one when unset.</summary>
    public bool DrainsInto(SinkKind sink) => Environment.GetEnvironmentVariable("RELAY_BENCH_SINKS") is not { Length: > 0 } sinks
        || sinks.Split(',').Any(s => s.Trim().Equals(sink.ToString(), StringComparison.OrdinalIgnoreCase));

    public bool Runs(string scenario) => Only.Count == 0 || Only.Any(word => scenario.Contains(word, StringComparison.OrdinalIgnoreCase));

    public static BenchSettings Parse(string[] args)
    {
        var mode = BenchMode.Standard;
        var only = new List<string>();
        string? results = null;
        string? workload = null;
        int? rows = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": mode = BenchMode.Quick; break;
                case "--full": mode = BenchMode.Full; break;
                case "--only" when i + 1 < args.Length: only.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--rows" when i + 1 < args.Length: rows = int.Parse(args[++i]); break;
                case "--workload" when i + 1 < args.Length: workload = args[++i]; break;
                case "--results" when i + 1 < args.Length: results = args[++i]; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: Relay.Bench [--quick|--full] [--only word,word] [--workload text] [--rows N] [--results DIR]");
            }
        }
        return new BenchSettings { Mode = mode, Only = only, ResultsDirectory = results ?? "bench/results", Workload = workload, RowsOverride = rows };
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
