using NATS.Client.JetStream.Models;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.Nats;

/// <summary>`relay validate --connect` with a NATS sink against the real server: the stream check the sink makes at start.</summary>
public sealed class NatsValidateTests
{
    private static void Has(string output, string text) => Assert.True(output.Contains(text, StringComparison.Ordinal), $"Expected \"{text}\" in:\n{output}");

    [Fact]
    public async Task Validate_connect_compares_DuplicateWindow_with_the_streams_real_duplicate_window_and_names_the_key()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        await db.CreateOutboxAsync();
        await using var kit = await NatsTestKit.CreateAsync();
        await kit.JetStream.CreateStreamAsync(new StreamConfig(kit.Name, [kit.Name + ".>"]) { DuplicateWindow = TimeSpan.FromSeconds(10) });
        var env = new Dictionary<string, string>
        {
            ["Relay__Sources__orders__Kind"] = "PostgresPolling",
            ["Relay__Sources__orders__ConnectionString"] = db.ConnectionString,
            ["Relay__Sources__orders__Outbox__TopicTemplate"] = kit.Name + ".{aggregatetype}",
            ["Relay__Sinks__main__Kind"] = "Nats",
            ["Relay__Sinks__main__Url"] = kit.Options.Url!,
            ["Relay__Sinks__main__Stream"] = kit.Name,
            ["Relay__Sinks__main__StreamSubjects"] = kit.Name + ".>",
            ["Relay__Sinks__main__PositionBucket"] = kit.Name,
            ["Relay__Sinks__main__DuplicateWindow"] = "00:05:00",
        };

        var (tooShort, tooShortOutput) = await RelayProcess.RunAsync(env, TimeSpan.FromSeconds(90), "validate", "--connect");
        Assert.True(tooShort == 3, tooShortOutput);
        Has(tooShortOutput, $"error: JetStream stream '{kit.Name}' remembers message ids for 00:00:10 (duplicate_window), less than the sink's DuplicateWindow 00:05:00");
        Has(tooShortOutput, $"fix: Raise the stream's duplicate window to at least 00:05:00 (nats stream edit {kit.Name} --dupe-window 300s), " +
                        "or lower Relay:Sinks:main:DuplicateWindow (environment variable Relay__Sinks__main__DuplicateWindow) to 00:00:10");
        Has(tooShortOutput, "1 problem(s) to fix.");

        // The stream raised to the window asked for: the same check passes.
        await kit.JetStream.UpdateStreamAsync(new StreamConfig(kit.Name, [kit.Name + ".>"]) { DuplicateWindow = TimeSpan.FromMinutes(5) });
        var (ok, okOutput) = await RelayProcess.RunAsync(env, TimeSpan.FromSeconds(90), "validate", "--connect");
        Assert.True(ok == 0, okOutput);
        Has(okOutput, "sink main (Nats) for source orders: OK, committed position (none).");

        // A stream that does not exist is fine when the relay may create it, an error naming CreateStream when not.
        env["Relay__Sinks__main__Stream"] = kit.Name + "-missing";
        var (created, createdOutput) = await RelayProcess.RunAsync(env, TimeSpan.FromSeconds(90), "validate", "--connect");
        Assert.True(created == 0, createdOutput);
        env["Relay__Sinks__main__CreateStream"] = "false";
        var (missing, missingOutput) = await RelayProcess.RunAsync(env, TimeSpan.FromSeconds(90), "validate", "--connect");
        Assert.True(missing == 3, missingOutput);
        Has(missingOutput, $"error: JetStream stream '{kit.Name}-missing' does not exist.");
        Has(missingOutput, "or set Relay:Sinks:main:CreateStream (environment variable Relay__Sinks__main__CreateStream) to true.");
    }
}
