using Relay.Hosting;

namespace Relay.Cli;

/// <summary>`relay validate [--connect]`: the configuration, then optionally every server, its rights and settings.</summary>
internal static class ValidateCommand
{
    public static async Task<int> RunAsync(CliSession session, bool connect, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Configuration is valid: {session.Plan.Count} enabled source(s): " +
                          string.Join(", ", session.Plan.Select(p => $"{p.Source.Name} ({p.Options.Kind} → {p.Sink.Name} ({p.SinkFactory.Kind}))")) + ".");
        foreach (var sink in session.Plan.DistinctBy(p => p.Sink.Name))
            Console.WriteLine($"sink {sink.Sink.Name} ({sink.SinkFactory.Kind}) delivers {sink.SinkFactory.Delivery(sink.Sink)}: it rests on {sink.SinkFactory.DeliveryDependsOn(sink.Sink)}");
        if (!connect) return ExitCodes.Ok;

        var errors = 0;
        foreach (var planned in session.Plan)
        {
            var name = planned.Source.Name;
            var setup = planned.SourceFactory.CreateSetup(planned.Source);
            if (setup is null)
            {
                Console.WriteLine($"source {name}: kind {planned.Options.Kind} has no connection checks.");
            }
            else
            {
                var problems = await setup.CheckAsync(cancellationToken);
                errors += Print($"source {name} ({planned.Options.Kind})", problems, session.Scrubber);
            }

            var store = planned.SinkFactory.CreatePositionStore(planned.Sink);
            if (store is null)
            {
                Console.WriteLine($"sink {planned.Sink.Name}: kind {planned.SinkFactory.Kind} has no connection checks.");
                continue;
            }
            await using (store)
            {
                var step = "read the committed position";
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(60));
                    var position = await store.ReadAsync(name, timeout.Token);
                    step = "check the broker settings the sink rests on";
                    var problems = await store.CheckAsync(timeout.Token);
                    var heading = $"sink {planned.Sink.Name} ({planned.SinkFactory.Kind}) for source {name}";
                    if (problems.Count == 0) Console.WriteLine($"{heading}: OK, committed position {position?.Value ?? "(none)"}.");
                    else errors += Print($"{heading} (committed position {position?.Value ?? "(none)"})", problems, session.Scrubber);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    errors += Print($"sink {planned.Sink.Name} ({planned.SinkFactory.Kind}) for source {name}",
                        [new SetupProblem($"Cannot {step}: {session.Scrubber.Describe(e)}",
                            "Check the sink's address, credentials and TLS settings, and that the relay's principal may read the offsets (Kafka: READ on the offsets topic) " +
                            "and the stream's configuration (NATS: JetStream's STREAM.INFO API).")],
                        session.Scrubber);
                }
            }
        }
        if (errors == 0)
        {
            Console.WriteLine("Every server is reachable and set up.");
            return ExitCodes.Ok;
        }
        Console.WriteLine($"{errors} problem(s) to fix.");
        return ExitCodes.ChecksFailed;
    }

    /// <summary>Prints the problems under a heading; returns how many are errors (not warnings).</summary>
    internal static int Print(string heading, IReadOnlyList<SetupProblem> problems, SecretScrubber scrubber)
    {
        if (problems.Count == 0)
        {
            Console.WriteLine($"{heading}: OK.");
            return 0;
        }
        Console.WriteLine($"{heading}:");
        foreach (var problem in problems)
        {
            Console.WriteLine($"  {(problem.IsWarning ? "warning" : "error")}: {scrubber.Scrub(problem.Problem)}");
            Console.WriteLine($"    fix: {scrubber.Scrub(problem.Fix)}");
        }
        return problems.Count(p => !p.IsWarning);
    }
}
