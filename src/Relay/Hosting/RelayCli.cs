using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Relay.Cli;

namespace Relay.Hosting;

/// <summary>
/// The command line (System.CommandLine): `run` (the default), `validate`, `setup` and `offsets`. Every
/// command reads the same configuration: appsettings.json, the --config file (or RELAY_CONFIG_FILE),
/// environment variables, then Key=Value overrides given after the command.
/// </summary>
public static class RelayCli
{
    private const string Overview = """
        Relay publishes transactional-outbox rows from databases (PostgreSQL log tailing or polling, MySQL/MariaDB)
        to Kafka or Redis Streams, each batch committed together with its source position.

        Configuration, later wins: appsettings.json in the working directory, the file given with --config (or
        RELAY_CONFIG_FILE), environment variables (Relay__Sources__orders__Slot), and Key=Value overrides after the
        command (Relay:Sources:orders:Slot=x). See README.md for every key.

        Exit codes: 0 done; 1 runtime failure (every source failed, a server refused the work); 2 bad configuration
        or usage (nothing was touched); 3 validate --connect found problems to fix; 4 offsets reset not confirmed.
        """;

    public static async Task<int> RunAsync(string[] args, Action<RelayBuilder> registerKinds)
    {
        var config = new Option<string?>("--config", "-c")
        {
            Description = "An extra JSON configuration file, read after appsettings.json and before environment variables (default: $RELAY_CONFIG_FILE).",
            HelpName = "FILE",
            Recursive = true,
        };
        var connect = new Option<bool>("--connect") { Description = "Also reach every database and broker and check rights, settings and objects; problems come with their fix." };
        var apply = new Option<bool>("--apply") { Description = "Run the statements on each source's database (idempotent) instead of printing them." };
        var setupSource = new Option<string?>("--source", "-s") { Description = "Only this source (default: every enabled source).", HelpName = "NAME" };
        var showSource = new Option<string?>("--source", "-s") { Description = "Only this source (default: every enabled source).", HelpName = "NAME" };
        var resetSource = new Option<string>("--source", "-s") { Description = "The source whose position moves.", HelpName = "NAME", Required = true };
        var to = new Option<string?>("--to") { Description = "The new committed position, as `relay offsets show` prints it.", HelpName = "POSITION" };
        var delete = new Option<bool>("--delete") { Description = "Remove the committed position: the next start begins fresh (log tailing: at the slot; polling: every row still in the table)." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };

        var root = new RootCommand(Overview) { TreatUnmatchedTokensAsErrors = false };
        root.Options.Add(config);

        var run = new Command("run", "Run the relay until SIGTERM (the default when no command is given): one pipeline per enabled source, /healthz, /readyz and /metrics on Relay:Http:Port.")
            { TreatUnmatchedTokensAsErrors = false };
        var validate = new Command("validate", "Check the configuration without touching anything; with --connect also every server.") { TreatUnmatchedTokensAsErrors = false };
        validate.Options.Add(connect);
        var setup = new Command("setup", "Print (or with --apply run) the SQL that prepares each source's database: outbox table, publication and replication slot or index, and grants.")
            { TreatUnmatchedTokensAsErrors = false };
        setup.Options.Add(apply);
        setup.Options.Add(setupSource);
        var offsets = new Command("offsets", "Read or move the committed position a sink holds for a source.");
        var show = new Command("show", "Print each source's committed position, read without disturbing a running relay.") { TreatUnmatchedTokensAsErrors = false };
        show.Options.Add(showSource);
        var reset = new Command("reset", "Move a source's committed position (--to) or remove it (--delete); asks for confirmation, and fences a running relay.")
            { TreatUnmatchedTokensAsErrors = false };
        reset.Options.Add(resetSource);
        reset.Options.Add(to);
        reset.Options.Add(delete);
        reset.Options.Add(yes);
        offsets.Subcommands.Add(show);
        offsets.Subcommands.Add(reset);
        root.Subcommands.Add(run);
        root.Subcommands.Add(validate);
        root.Subcommands.Add(setup);
        root.Subcommands.Add(offsets);

        RelayLaunch? Launch(ParseResult parsed)
        {
            var overrides = parsed.UnmatchedTokens.ToList();
            var bad = overrides.Where(t => !t.Contains('=') || t.StartsWith('=')).ToList();
            if (bad.Count > 0)
            {
                Console.Error.WriteLine($"Unrecognized argument(s): {string.Join(" ", bad)}. Overrides are written Key=Value (e.g. Relay:Http:Port=9090); see --help.");
                return null;
            }
            return RelayLaunch.FromEnvironment(parsed.GetValue(config), overrides);
        }

        async Task<int> WithSession(ParseResult parsed, Func<CliSession, Task<int>> action)
        {
            if (Launch(parsed) is not { } launch) return ExitCodes.Configuration;
            using var session = CliSession.Open(launch, registerKinds);
            return session is null ? ExitCodes.Configuration : await action(session);
        }

        async Task<int> Run(ParseResult parsed) =>
            Launch(parsed) is { } launch ? await RunRelayAsync(launch, registerKinds) : ExitCodes.Configuration;

        root.SetAction((parsed, _) => Run(parsed));
        run.SetAction((parsed, _) => Run(parsed));
        validate.SetAction((parsed, ct) => WithSession(parsed, s => ValidateCommand.RunAsync(s, parsed.GetValue(connect), ct)));
        setup.SetAction((parsed, ct) => WithSession(parsed, s => SetupCommand.RunAsync(s, parsed.GetValue(apply), parsed.GetValue(setupSource), ct)));
        show.SetAction((parsed, ct) => WithSession(parsed, s => OffsetsCommand.ShowAsync(s, parsed.GetValue(showSource), ct)));
        reset.SetAction((parsed, ct) => WithSession(parsed, s =>
            OffsetsCommand.ResetAsync(s, parsed.GetValue(resetSource)!, parsed.GetValue(to), parsed.GetValue(delete), parsed.GetValue(yes), ct)));
        offsets.SetAction(_ =>
        {
            Console.Error.WriteLine("Say what to do: `relay offsets show` or `relay offsets reset`; see `relay offsets --help`.");
            return ExitCodes.Configuration;
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("See `relay --help`.");
            return ExitCodes.Configuration;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    internal static void PrintConfigurationErrors(IEnumerable<string> errors)
    {
        Console.Error.WriteLine("Relay cannot start: the configuration has errors.");
        foreach (var error in errors) Console.Error.WriteLine($"  - {error}");
    }

    /// <summary>Runs the relay until SIGTERM: 0 after a clean stop, 1 when every source failed, 2 for bad configuration.</summary>
    public static async Task<int> RunRelayAsync(RelayLaunch launch, Action<RelayBuilder> registerKinds)
    {
        var built = RelayHost.Build(launch, registerKinds);
        using var host = built.Host;
        if (built.Errors.Count > 0 || host is null)
        {
            PrintConfigurationErrors(built.Errors);
            return ExitCodes.Configuration;
        }
        await host.RunAsync();
        return Environment.ExitCode;
    }
}
