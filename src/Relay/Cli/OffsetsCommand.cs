using Relay.Hosting;

namespace Relay.Cli;

/// <summary>`relay offsets show|reset`: the committed position a sink holds for a source.</summary>
internal static class OffsetsCommand
{
    public static async Task<int> ShowAsync(CliSession session, string? source, CancellationToken cancellationToken)
    {
        var selected = session.Select(source);
        if (selected is null) return ExitCodes.Configuration;
        foreach (var planned in selected)
        {
            var store = planned.SinkFactory.CreatePositionStore(planned.Sink);
            if (store is null)
            {
                Console.Error.WriteLine($"Sink {planned.Sink.Name} (kind {planned.SinkFactory.Kind}) cannot show positions.");
                return ExitCodes.Failure;
            }
            await using (store)
            {
                try
                {
                    var position = await store.ReadAsync(planned.Source.Name, cancellationToken);
                    Console.WriteLine($"{planned.Source.Name}\t{position?.Value ?? "(none: the next start begins fresh)"}");
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Console.Error.WriteLine($"Cannot read the committed position of source {planned.Source.Name} from sink {planned.Sink.Name}: {session.Scrubber.Describe(e)}");
                    return ExitCodes.Failure;
                }
            }
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> ResetAsync(CliSession session, string source, string? to, bool delete, bool yes, CancellationToken cancellationToken)
    {
        if ((to is null) == !delete)
        {
            Console.Error.WriteLine("Say where to move the position: --to POSITION (a position as `relay offsets show` prints it), or --delete to remove it so the next start begins fresh.");
            return ExitCodes.Configuration;
        }
        if (to is { Length: 0 })
        {
            Console.Error.WriteLine("--to is empty. Give a position as `relay offsets show` prints it, or use --delete.");
            return ExitCodes.Configuration;
        }
        var selected = session.Select(source);
        if (selected is null) return ExitCodes.Configuration;
        var planned = selected[0];
        var store = planned.SinkFactory.CreatePositionStore(planned.Sink);
        if (store is null)
        {
            Console.Error.WriteLine($"Sink {planned.Sink.Name} (kind {planned.SinkFactory.Kind}) cannot move positions.");
            return ExitCodes.Failure;
        }
        await using (store)
        {
            try
            {
                var current = await store.ReadAsync(planned.Source.Name, cancellationToken);
                var target = delete ? "(none: the next start begins fresh)" : to;
                Console.WriteLine($"Source {planned.Source.Name}, sink {planned.Sink.Name} ({planned.SinkFactory.Kind}): committed position {current?.Value ?? "(none)"} → {target}.");
                Console.WriteLine(RunningRelayWarning(store.RunningRelayOnReset, planned.SinkFactory.Kind) +
                                  " Rows before the new position are not published again; rows after it are published (again, if they were).");
                if (!yes && !Confirm())
                {
                    Console.Error.WriteLine("Not confirmed; nothing changed.");
                    return ExitCodes.Declined;
                }
                await store.ResetAsync(planned.Source.Name, delete ? null : new SourcePosition(to!), cancellationToken);
                Console.WriteLine($"Done: the committed position of {planned.Source.Name} is {target}.");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"Cannot move the committed position of source {planned.Source.Name} in sink {planned.Sink.Name}: {session.Scrubber.Describe(e)}");
                return ExitCodes.Failure;
            }
        }
    }

    private static string RunningRelayWarning(RunningRelayOnReset effect, string kind) => effect switch
    {
        RunningRelayOnReset.Fenced =>
            "Warning: a relay running for this source is fenced: its batch in flight is discarded and it starts over from the new position.",
        RunningRelayOnReset.ResetRefused =>
            $"A relay running for this source must be stopped first: {kind} cannot fence it, so the reset is refused while one publishes for the source.",
        _ =>
            $"Warning: stop any relay running for this source first: this {kind} sink cannot fence it, and its next commit would write its own position over the new one.",
    };

    private static bool Confirm()
    {
        if (Console.IsInputRedirected)
        {
            Console.Error.WriteLine("Standard input is not a terminal, so nobody can confirm: pass --yes to reset without asking.");
            return false;
        }
        Console.Write("Type yes to go on: ");
        return string.Equals(Console.ReadLine()?.Trim(), "yes", StringComparison.OrdinalIgnoreCase);
    }
}
