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
/// A dump the server ends (KILL, KILL QUERY, a restart, a rotation) is reconnected, never taken as the end of the log:
/// the relay (the pipeline with the real binlog source, into a recording sink) publishes every committed row once, and its
/// status shows the retry. On private servers: killing dump threads or the server must not touch other tests.
/// </summary>
public sealed class BinlogDumpEndTests
{
    private static string Row(string id) => $"INSERT INTO outbox (aggregatetype, aggregateid, type, payload) VALUES ('order', '{id}', 'Created', '{{}}')";

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> OneDumpThreadAsync(MariaDbInstance server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var threads = await server.DumpThreadsAsync();
            if (threads.Count == 1) return threads[0];
            Assert.True(DateTime.UtcNow < deadline, $"expected the relay's one dump thread, found {threads.Count}");
            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData("KILL QUERY")]
    [InlineData("KILL")]
    public async Task A_killed_dump_thread_is_reconnected_and_every_row_committed_after_is_published_once(string kill)
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var store = new RecordingStore();
        await using var relay = await Relay.StartAsync(Context(cs), store);

        await ExecuteAsync(cs, Row("r1"));
        await relay.WaitForAsync(["r1"]);
        var thread = await OneDumpThreadAsync(server);
        await server.ExecuteAsync($"{kill} {thread}");
        await ExecuteAsync(cs, Row("r2"));
        await ExecuteAsync(cs, Row("r3"));

        await relay.WaitForAsync(["r1", "r2", "r3"]);
        Assert.NotEqual(thread, await OneDumpThreadAsync(server)); // a new dump serves the relay
        var status = relay.Status.Snapshot();
        Assert.Equal(SourceState.Streaming, status.State);
        // KILL QUERY ends the dump with an EOF, KILL closes the connection: each a named, retried failure.
        Assert.NotNull(status.LastError);
        if (kill == "KILL QUERY") Assert.Contains("ended the binlog dump without an error", status.LastError);
        await ExecuteAsync(cs, Row("r4"));
        await relay.WaitForAsync(["r1", "r2", "r3", "r4"]);
    }

    [Fact]
    public async Task A_server_restart_mid_transaction_publishes_what_committed_and_never_what_it_cut_short()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var store = new RecordingStore();
        await using var relay = await Relay.StartAsync(Context(cs), store);
        await ExecuteAsync(cs, Row("r1"));
        await relay.WaitForAsync(["r1"]);

        // A transaction open when the server dies never committed.
        await using (var open = new MySqlConnection(cs))
        {
            await open.OpenAsync();
            await using var cmd = new MySqlCommand($"BEGIN; {Row("uncommitted")}", open);
            await cmd.ExecuteNonQueryAsync();
            server.KillHard();
        }
        await server.StartServerAsync();
        await ExecuteAsync(cs, Row("r2"));
        await relay.WaitForAsync(["r1", "r2"]);
        await server.StopAsync(); // a clean shutdown ends the dump too
        await server.StartServerAsync();
        await ExecuteAsync(cs, Row("r3"));
        await relay.WaitForAsync(["r1", "r2", "r3"]);
    }

    [Fact]
    public async Task Rotations_mid_stream_lose_nothing()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = await PrepareAsync(server);
        var store = new RecordingStore();
        await using var relay = await Relay.StartAsync(Context(cs), store);
        await ExecuteAsync(cs, Row("r1"));
        await server.ExecuteAsync("FLUSH BINARY LOGS");
        await ExecuteAsync(cs, $"BEGIN; {Row("r2")}; {Row("r3")}; COMMIT");
        await server.ExecuteAsync("FLUSH BINARY LOGS");
        await server.ExecuteAsync("FLUSH BINARY LOGS");
        await ExecuteAsync(cs, Row("r4"));
        await relay.WaitForAsync(["r1", "r2", "r3", "r4"]);
    }

    /// <summary>The relay's pipeline for one binlog source, into a recording sink, with the status /readyz reports.</summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ServiceProvider _services;
        private readonly RelayTelemetry _telemetry;
        private readonly RecordingStore _store;
        private readonly Task _running;

        private Relay(SourceContext context, RecordingStore store)
        {
            _store = store;
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            _telemetry = new RelayTelemetry(_services.GetRequiredService<IMeterFactory>());
            Status = new SourceStatus(context.Name, MySqlBinlogSourceFactory.KindName, "recording");
            var factory = context.Services.GetRequiredService<MySqlBinlogSourceFactory>();
            var pipeline = new SourcePipeline(context.Name, () => factory.Create(context), () => new RecordingSink(store),
                new OutboxRouter(RelayServices.Options<MySqlBinlogOptions>(context).Outbox, context.Name), 500, _telemetry, NullLogger.Instance, Status);
            _running = pipeline.RunAsync(_stop.Token);
        }

        public SourceStatus Status { get; }

        /// <summary>Starts the relay and waits for its first position in the sink: rows committed from then on are its to publish.</summary>
        public static async Task<Relay> StartAsync(SourceContext context, RecordingStore store)
        {
            var relay = new Relay(context, store);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (store.Position is null)
            {
                Assert.False(relay._running.IsCompleted, $"the pipeline ended: {relay._running.Exception?.GetBaseException().Message}");
                Assert.True(DateTime.UtcNow < deadline, "the relay committed no start position in time");
                await Task.Delay(50);
            }
            return relay;
        }

        /// <summary>Waits until the sink holds exactly <paramref name="expected"/> (aggregate ids, in order); fails on anything else.</summary>
        public async Task WaitForAsync(string[] expected)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var ids = _store.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Key!)).ToList();
                if (ids.Count >= expected.Length)
                {
                    Assert.Equal(expected, ids);
                    return;
                }
                Assert.True(expected.Take(ids.Count).SequenceEqual(ids), $"published {string.Join(",", ids)}; expected {string.Join(",", expected)}");
                Assert.False(_running.IsCompleted, $"the pipeline ended: {_running.Exception?.GetBaseException().Message}");
                Assert.True(DateTime.UtcNow < deadline, $"published {string.Join(",", ids)} by the deadline; expected {string.Join(",", expected)}");
                await Task.Delay(100);
            }
        }

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
