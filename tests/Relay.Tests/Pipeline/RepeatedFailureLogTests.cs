using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.Postgres.Polling;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sinks.Kafka;
using Relay.Tests.Sources.Polling;

namespace Relay.Tests.Pipeline;

/// <summary>A database that stays down fails every retry the same way: operators get its stack trace once, then one line per retry.</summary>
public class RepeatedFailureLogTests
{
    [Fact]
    public async Task A_database_that_stays_down_logs_its_stack_trace_once_then_one_line_per_retry()
    {
        // A port nothing listens on: every connection attempt is refused by the kernel, as for a database that is down.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var context = PollingHarness.Context($"Host=127.0.0.1;Port={port};Username=relay;Password=hunter2-secret;Database=relay;Timeout=3");
        using var telemetry = new RelayTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var pipeline = new SourcePipeline("down", () => new PostgresPollingSourceFactory().Create(context), () => new RecordingSink(new RecordingStore()),
            new OutboxRouter(RelayServices.Options<PostgresPollingOptions>(context).Outbox, "down"), maxBatchRows: 100, telemetry, factory.CreateLogger("Relay.Pipeline.down"));

        // Backoff 0.5 s doubling: three or more attempts within 4 s.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        await pipeline.RunAsync(stop.Token);

        var failures = logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count >= 3, $"expected at least 3 failed attempts, got: {string.Join("\n", failures)}");
        Assert.Contains("failed in stage acquire", failures[0]);
        Assert.Contains(" at ", failures[0]); // the first one carries the stack trace
        foreach (var repeat in failures.Skip(1))
        {
            Assert.Contains("failed again in stage acquire, as before", repeat);
            Assert.DoesNotContain(" at Npgsql", repeat);
            Assert.True(repeat.Split('\n').Length <= 2, $"a repeat should be one line: {repeat}");
        }
        Assert.DoesNotContain(logs.Lines, l => l.Contains("hunter2-secret", StringComparison.Ordinal));
    }
}
