using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Relay.Health;
using Relay.Pipeline;
using Relay.Routing;
using Relay.Sources.MySql.Binlog;
using Relay.Telemetry;
using Relay.Tests.Infrastructure;
using static Relay.Tests.Sources.MySql.Binlog.BinlogTestKit;

namespace Relay.Tests.Sources.MySql.Binlog;

/// <summary>
/// The binlog lag probe against private MariaDB servers (the tests rotate and purge binlogs): lag from the position the
/// running source committed, retention of its file, and a standby that reports only that another relay holds the lease.
/// </summary>
public sealed class BinlogLagProbeTests
{
    [Fact]
    public async Task Lag_grows_while_the_relay_is_stopped_and_is_nothing_once_it_caught_up()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var context = Context(cs, new Dictionary<string, string?> { ["StatusInterval"] = "00:00:00.100" });
        var store = new RecordingStore();
        await using var probe = Factory(context).CreateLagProbe(context)!;

        await using (var relay = Relay.Start(context, store))
        {
            var caughtUp = await SampleUntilAsync(probe, s => s.LagBytes == 0, "the first start's position committed");
            Assert.Equal(0, caughtUp.LagSeconds);
            Assert.True(caughtUp.LeaseHeld);
            Assert.Equal("reserved", caughtUp.RetentionStatus);
            Assert.True(caughtUp.RetainedBytes > 0);
        }

        // Stopped: rows keep coming, and the binlog runs ahead of the committed position by at least their size.
        for (var i = 0; i < 20; i++) await InsertAsync(cs, 50, $"w{i}-");
        var behind = await probe.SampleAsync(default);
        Assert.False(behind.LeaseHeld);
        Assert.True(behind.LagBytes > 20 * 50 * 40, $"lag {behind.LagBytes} bytes");
        Assert.True(behind.LagSeconds > 0, $"lag {behind.LagSeconds} s");
        Assert.Equal("reserved", behind.RetentionStatus);

        await using (var relay = Relay.Start(context, store))
        {
            var resumed = await SampleUntilAsync(probe, s => s.LagBytes == 0, "the relay catching up");
            Assert.Equal(0, resumed.LagSeconds);
            Assert.Equal(1000, store.Messages.Count);
        }
    }

    [Fact]
    public async Task Retention_says_when_the_committed_file_is_the_next_to_purge_and_when_it_is_gone()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var context = Context(cs, new Dictionary<string, string?> { ["StatusInterval"] = "00:00:00.100" });
        await using var probe = Factory(context).CreateLagProbe(context)!;
        await using (var relay = Relay.Start(context, new RecordingStore()))
            await SampleUntilAsync(probe, s => s.LagBytes == 0, "the first start's position committed");
        var committedFile = (string)(await server.ScalarAsync("SHOW MASTER STATUS"))!;

        await server.ExecuteAsync("FLUSH BINARY LOGS");
        await InsertAsync(cs, 10);
        var oldest = await probe.SampleAsync(default);
        Assert.Equal("unreserved", oldest.RetentionStatus); // the oldest file kept: the next purge takes it
        var sizes = await BinlogSizesAsync(server);
        Assert.Equal(sizes.Values.Sum(), oldest.RetainedBytes);
        Assert.InRange(oldest.LagBytes!.Value, sizes.Values.Last(), oldest.RetainedBytes!.Value);

        var current = (string)(await server.ScalarAsync("SHOW MASTER STATUS"))!;
        await PurgeToAsync(server, current);
        var lost = await probe.SampleAsync(default);
        Assert.DoesNotContain(committedFile, (await BinlogSizesAsync(server)).Keys);
        Assert.Equal("lost", lost.RetentionStatus);
        Assert.Null(lost.LagBytes);
        Assert.Equal((await BinlogSizesAsync(server)).Values.Sum(), lost.RetainedBytes);
    }

    [Fact]
    public async Task A_replica_waiting_for_the_lease_is_a_standby_and_the_one_holding_it_reports_the_lag()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        // Two relays of one source: the same keys, each in a host (services) of its own.
        var settings = new Dictionary<string, string?> { ["StatusInterval"] = "00:00:00.100", ["ServerId"] = "4242" };
        var first = Context(cs, settings, "orders");
        var second = Context(cs, settings, "orders");
        var store = new RecordingStore();
        await using var firstProbe = Factory(first).CreateLagProbe(first)!;
        await using var secondProbe = Factory(second).CreateLagProbe(second)!;

        var relay = Relay.Start(first, store);
        await SampleUntilAsync(firstProbe, s => s.LagBytes == 0, "the active relay's position");
        var standby = new SourceStatus("orders", MySqlBinlogSourceFactory.KindName, "sink");
        standby.Starting();
        var waiting = await secondProbe.SampleAsync(default);
        standby.Sampled(waiting, null);
        Assert.Equal(SourceState.Standby, standby.State);
        Assert.True(waiting.LeaseHeld);
        Assert.Null(waiting.LagBytes); // the committed position is in the active relay (and the sink), not here

        // The first relay goes, the second takes over: now the first one's last position is stale, and it reports only the lease.
        await relay.DisposeAsync();
        await using (Relay.Start(second, store))
        {
            var active = await SampleUntilAsync(secondProbe, s => s.LagBytes == 0, "the second relay's position");
            Assert.True(active.LeaseHeld);
            var formerlyActive = await firstProbe.SampleAsync(default);
            Assert.True(formerlyActive.LeaseHeld);
            Assert.Null(formerlyActive.LagBytes);
        }
    }

    private static MySqlBinlogSourceFactory Factory(SourceContext context) => context.Services.GetRequiredService<MySqlBinlogSourceFactory>();

    private static async Task<SourceLagSample> SampleUntilAsync(ISourceLagProbe probe, Func<SourceLagSample, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var sample = await probe.SampleAsync(default);
            if (condition(sample)) return sample;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}; last sample {sample}.");
            await Task.Delay(100);
        }
    }

    private static async Task<Dictionary<string, long>> BinlogSizesAsync(MariaDbInstance server)
    {
        await using var conn = new MySqlConnection(server.AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SHOW BINARY LOGS", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var sizes = new Dictionary<string, long>();
        while (await reader.ReadAsync()) sizes[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1));
        return sizes;
    }

    /// <summary>The server keeps a file a dump thread still reads: a stopped relay's thread ends shortly after its connection.</summary>
    private static async Task PurgeToAsync(MariaDbInstance server, string file)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await server.ExecuteAsync($"PURGE BINARY LOGS TO '{file}'");
            var files = (await BinlogSizesAsync(server)).Keys.ToList();
            if (files.SequenceEqual([file])) return;
            Assert.True(DateTime.UtcNow < deadline, $"The server kept {string.Join(", ", files)}.");
            await Task.Delay(200);
        }
    }

    /// <summary>A source's pipeline running in the background, as the host runs it, into a sink that outlives it.</summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ServiceProvider _services;
        private readonly RelayTelemetry _telemetry;
        private readonly Task _running;

        private Relay(SourceContext context, RecordingStore store)
        {
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            _telemetry = new RelayTelemetry(_services.GetRequiredService<IMeterFactory>());
            var factory = Factory(context);
            var pipeline = new SourcePipeline(context.Name, () => factory.Create(context), () => new RecordingSink(store),
                new OutboxRouter(RelayServices.Options<MySqlBinlogOptions>(context).Outbox, context.Name), 500, _telemetry, NullLogger.Instance);
            _running = pipeline.RunAsync(_stop.Token);
        }

        public static Relay Start(SourceContext context, RecordingStore store) => new(context, store);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running.WaitAsync(TimeSpan.FromSeconds(30));
            _telemetry.Dispose();
            await _services.DisposeAsync();
            _stop.Dispose();
        }
    }
}
