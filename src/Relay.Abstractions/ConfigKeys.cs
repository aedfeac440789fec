using Microsoft.Extensions.Configuration;

namespace Relay;

/// <summary>Wording for configuration errors, so every one names the key in both of its spellings.</summary>
public static class ConfigKeys
{
    /// <summary>"Relay:Sources:orders:Slot (environment variable Relay__Sources__orders__Slot)".</summary>
    public static string Describe(IConfigurationSection section, string key) => Describe(ConfigurationPath.Combine(section.Path, key));

    /// <summary>The same for a full key path, e.g. "Relay:Sources:orders:Slot".</summary>
    public static string Describe(string path) => $"{path} (environment variable {path.Replace(":", "__")})";
}
