using Microsoft.Extensions.Logging.Abstractions;
using Relay.Sinks.RabbitMq;
using Relay.Tests.Infrastructure;
using Relay.Tests.Sinks.RabbitMq;

namespace Relay.Tests.Hosting;

/// <summary>`offsets reset` against a RabbitMQ sink, which cannot fence a running relay: it says so, and refuses while one publishes.</summary>
public sealed class RabbitMqCliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private const string StopFirst =
        "A relay running for this source must be stopped first: RabbitMQ cannot fence it, so the reset is refused while one publishes for the source.";

    private static Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args) =>
        RelayProcess.RunAsync(env, Wait, args);

    [Fact]
    public async Task Offsets_reset_says_a_running_relay_must_be_stopped_and_is_refused_while_one_holds_the_source()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await using var kit = await RabbitMqTestKit.CreateAsync();
        // The source is named src: the kit deletes its position queue at the end.
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__src__Kind"] = "PostgresPolling",
            ["Relay__Sources__src__ConnectionString"] = db.ConnectionString,
            ["Relay__Sinks__main__Kind"] = "RabbitMQ",
            ["Relay__Sinks__main__Uri"] = kit.Uri,
            ["Relay__Sinks__main__Exchange"] = kit.Options.Exchange,
            ["Relay__Sinks__main__QueuePrefix"] = kit.Options.QueuePrefix,
        };
        await using (var store = new RabbitMqPositionStore(kit.Options)) await store.ResetAsync("src", new SourcePosition("pgpoll:5"), default);

        // Without --yes and without a terminal nothing changes; the warning is RabbitMQ's, not the fencing kinds'.
        var (declined, declinedOutput) = await RunAsync(env, "offsets", "reset", "--source", "src", "--delete");
        Assert.True(declined == 4, declinedOutput);
        Assert.Contains(StopFirst, declinedOutput);
        Assert.DoesNotContain("fenced", declinedOutput);

        // A sink holding the source's lock, as a running relay's does: the reset is refused, the position stays.
        await using (var running = new RabbitMqSink(kit.Options, NullLogger.Instance))
        {
            Assert.Equal(new SourcePosition("pgpoll:5"), await running.InitializeAsync("src", default));
            var (refused, refusedOutput) = await RunAsync(env, "offsets", "reset", "--source", "src", "--to", "pgpoll:2", "--yes");
            Assert.True(refused == 1, refusedOutput);
            Assert.Contains(StopFirst, refusedOutput);
            Assert.Contains($"holds the lock queue '{kit.Name}.lock.src'). Stop it, then reset", refusedOutput);
        }
        await using (var store = new RabbitMqPositionStore(kit.Options)) Assert.Equal(new SourcePosition("pgpoll:5"), await store.ReadAsync("src", default));

        // Stopped: the same reset goes through.
        var (moved, movedOutput) = await RunAsync(env, "offsets", "reset", "--source", "src", "--to", "pgpoll:2", "--yes");
        Assert.True(moved == 0, movedOutput);
        Assert.Contains("Done: the committed position of src is pgpoll:2.", movedOutput);
        await using (var store = new RabbitMqPositionStore(kit.Options)) Assert.Equal(new SourcePosition("pgpoll:2"), await store.ReadAsync("src", default));
    }
}
