using System.Diagnostics;
using MySqlConnector;
using Npgsql;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Hosting;

/// <summary>
/// Two replicas as real processes into Redis, and the active one cut off by a partition (packets dropped both ways,
/// nothing closed; see <see cref="NetworkCut"/>) from its database, from the sink, or from both: the standby takes
/// over, the cut-off replica says it is not active, and after the heal it stands by while every row is published
/// exactly once, in per-aggregate order. Takeover times are printed (README quotes them), not asserted.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output)
{
    public enum CutFrom { Database, Sink, Both }

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("PostgresReplication", CutFrom.Database)]
    [InlineData("PostgresPolling", CutFrom.Database)]
    [InlineData("MySqlBinlog", CutFrom.Database)]
    [InlineData("MySqlPolling", CutFrom.Database)]
    [InlineData("PostgresReplication", CutFrom.Sink)]
    [InlineData("MySqlBinlog", CutFrom.Sink)]
    [InlineData("PostgresReplication", CutFrom.Both)]
    [InlineData("MySqlBinlog", CutFrom.Both)]
    public async Task The_standby_takes_over_from_a_cut_off_replica_and_every_row_is_published_once(string kind, CutFrom cutFrom)
    {
        const int rows = 3_000;
        await using var source = await ReplicatedSource.CreateAsync(kind, "cut");
        var db = source.Database;
        var databasePort = db is MySqlDatabase ? (int)new MySqlConnectionStringBuilder(db.ConnectionString).Port : new NpgsqlConnectionStringBuilder(db.ConnectionString).Port;
        var sinkPort = int.Parse(source.RedisConfiguration[(source.RedisConfiguration.LastIndexOf(':') + 1)..]);
        int[] ports = cutFrom switch
        {
            CutFrom.Database => [databasePort],
            CutFrom.Sink => [sinkPort],
            _ => [databasePort, sinkPort],
        };

        using var cut = NetworkCut.ForNewUid();
        try
        {
            // The replica to be cut off runs as the cut's uid and starts first, so it is the active one.
            var (zombie, zombieHttp) = await source.StartActiveAsync(cut.Uid);
            var (standby, standbyHttp) = await source.StartStandbyAsync();

            using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var writers = await source.StartWritingAsync(rows, TimeSpan.FromSeconds(40), writing.Token);

            cut.Cut(ports);
            var clock = Stopwatch.StartNew();
            var atCut = await source.Reader.CountAsync();
            TimeSpan? zombieInactive = null, standbyStreaming = null, standbyPublished = null;
            while (clock.Elapsed < Deadline && (zombieInactive is null || standbyStreaming is null || standbyPublished is null))
            {
                zombieInactive ??= await source.StateAsync(zombieHttp) is { Active: false, State: not "streaming" } ? clock.Elapsed : null;
                standbyStreaming ??= await source.StateAsync(standbyHttp) is { Active: true, State: "streaming" } ? clock.Elapsed : null;
                if (standbyStreaming is not null) standbyPublished ??= await source.Reader.CountAsync() > atCut ? clock.Elapsed : null;
                await Task.Delay(50);
            }
            output.WriteLine($"{kind}, active replica cut from the {cutFrom.ToString().ToLowerInvariant()}: it reported not active after {zombieInactive?.TotalSeconds:F1} s; " +
                             $"the standby reported streaming after {standbyStreaming?.TotalSeconds:F1} s and published after {standbyPublished?.TotalSeconds:F1} s");
            Assert.True(zombieInactive is not null, $"The cut-off replica still says it is active:\n{source.Outputs}");
            Assert.True(standbyStreaming is not null && standbyPublished is not null, $"The standby did not take over:\n{source.Outputs}");
            Assert.False(zombie.HasExited, $"The cut-off replica exited instead of standing by:\n{source.Outputs}");

            // Heal while rows are still being written: the zombie comes back as a standby and publishes nothing.
            await Task.Delay(TimeSpan.FromSeconds(3));
            cut.Heal();
            await zombieHttp.WaitForReadinessAsync(zombie, (_, json) => RelayHttp.StateOf(json, source.Source) == "standby", Deadline);

            await source.AssertExactlyOnceAsync(rows, await writers);
            Assert.Equal(("standby", false), await source.StateAsync(zombieHttp));
            Assert.Equal(("streaming", true), await source.StateAsync(standbyHttp));
            Assert.Contains($"relay_source_active{{otel_scope_name=\"Relay\",source=\"{source.Source}\"}} 0", (await zombieHttp.GetAsync("/metrics")).Body);
            Assert.False(standby.HasExited, source.Outputs);
        }
        finally
        {
            cut.Heal();
        }
    }
}
