using Microsoft.Extensions.Hosting;

namespace Relay.Hosting;

/// <summary>The command line: `Relay [--config FILE] [Key=Value ...]` runs the relay.</summary>
public static class RelayCli
{
    public static async Task<int> RunAsync(string[] args, Action<RelayBuilder> registerKinds)
    {
        string? configFile = null;
        var overrides = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length) configFile = args[++i];
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal)) configFile = args[i]["--config=".Length..];
            else overrides.Add(args[i]);
        }
        return await RunRelayAsync(RelayLaunch.FromEnvironment(configFile, overrides), registerKinds);
    }

    /// <summary>Runs the relay until SIGTERM: 0 after a clean stop, 1 when every source failed, 2 for bad configuration.</summary>
    public static async Task<int> RunRelayAsync(RelayLaunch launch, Action<RelayBuilder> registerKinds)
    {
        var built = RelayHost.Build(launch, registerKinds);
        using var host = built.Host;
        if (built.Errors.Count > 0 || host is null)
        {
            Console.Error.WriteLine("Relay cannot start: the configuration has errors.");
            foreach (var error in built.Errors) Console.Error.WriteLine($"  - {error}");
            return ExitCodes.Configuration;
        }
        await host.RunAsync();
        return Environment.ExitCode;
    }
}
