using Relay.Hosting;

namespace Relay.Cli;

/// <summary>`relay setup [--apply] [--source NAME]`: print, or run, the SQL that prepares each source's database.</summary>
internal static class SetupCommand
{
    public static async Task<int> RunAsync(CliSession session, bool apply, string? source, CancellationToken cancellationToken)
    {
        var selected = session.Select(source);
        if (selected is null) return ExitCodes.Configuration;
        var failed = false;
        foreach (var planned in selected)
        {
            var name = planned.Source.Name;
            var setup = planned.SourceFactory.CreateSetup(planned.Source);
            if (setup is null)
            {
                Console.WriteLine($"-- source {name}: kind {planned.Options.Kind} has no setup script.");
                continue;
            }
            if (!apply)
            {
                Console.WriteLine($"-- source {name} ({planned.Options.Kind}); every statement is safe to run again.");
                foreach (var step in setup.Script())
                {
                    Console.WriteLine($"-- {step.Purpose}");
                    Console.WriteLine(step.Sql.TrimEnd().TrimEnd(';') + ";");
                }
                Console.WriteLine();
                continue;
            }
            var problem = await setup.ApplyAsync(cancellationToken);
            if (problem is null)
            {
                var script = setup.Script();
                var forAdministrator = script.Count(s => s.IsForAdministrator);
                Console.WriteLine($"source {name}: set up ({script.Count - forAdministrator} statements applied" +
                                  (forAdministrator > 0 ? $"; {forAdministrator} for an administrator, shown by `relay setup`)." : ")."));
            }
            else
            {
                ValidateCommand.Print($"source {name}", [problem], session.Scrubber);
                failed = true;
            }
        }
        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }
}
