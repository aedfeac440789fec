using Microsoft.Extensions.Configuration;

namespace Relay.Hosting;

/// <summary>
/// Where a run's configuration comes from, in order of precedence (later wins): appsettings.json and
/// appsettings.{Environment}.json in the content root, the extra JSON file named by --config or the
/// RELAY_CONFIG_FILE environment variable, environment variables (Relay__Sources__orders__Slot), and
/// command-line overrides (Relay:Sources:orders:Slot=x or --Relay:Sources:orders:Slot x).
/// </summary>
public sealed record RelayLaunch(string ContentRoot, string EnvironmentName, string? ConfigFile, IReadOnlyList<string> Overrides)
{
    public const string ConfigFileVariable = "RELAY_CONFIG_FILE";

    /// <summary>The launch as the environment describes it: the current directory, DOTNET_ENVIRONMENT, RELAY_CONFIG_FILE.</summary>
    public static RelayLaunch FromEnvironment(string? configFile, IReadOnlyList<string> overrides)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? dotnet
            : Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspnet ? aspnet
            : "Production";
        var file = configFile is { Length: > 0 } ? configFile
            : Environment.GetEnvironmentVariable(ConfigFileVariable) is { Length: > 0 } fromVariable ? fromVariable
            : null;
        return new RelayLaunch(Directory.GetCurrentDirectory(), environment, file, overrides);
    }

    /// <summary>Where the extra file was named, for messages.</summary>
    public string ConfigFileOrigin(string? cliFile) => cliFile is { Length: > 0 } ? "--config" : $"the environment variable {ConfigFileVariable}";

    /// <summary>Why the configuration cannot be read (a missing extra file), or null.</summary>
    public string? Problem()
    {
        if (ConfigFile is null) return null;
        var path = Path.GetFullPath(ConfigFile);
        if (File.Exists(path)) return null;
        return $"The configuration file '{path}' does not exist. Fix the path given with --config or in {ConfigFileVariable}, or leave both unset to use appsettings.json and environment variables only.";
    }

    /// <summary>Adds the configuration sources in precedence order. Throws when a JSON file cannot be parsed.</summary>
    public void AddSources(IConfigurationBuilder builder)
    {
        builder.SetBasePath(ContentRoot);
        builder.AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        builder.AddJsonFile($"appsettings.{EnvironmentName}.json", optional: true, reloadOnChange: false);
        if (ConfigFile is not null) builder.AddJsonFile(Path.GetFullPath(ConfigFile), optional: false, reloadOnChange: false);
        builder.AddEnvironmentVariables();
        if (Overrides.Count > 0) builder.AddCommandLine(Overrides.ToArray());
    }
}
