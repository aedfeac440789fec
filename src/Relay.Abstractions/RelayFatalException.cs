using Microsoft.Extensions.Configuration;

namespace Relay;

/// <summary>
/// A problem retrying cannot fix (missing rights, a missing table, a misconfigured broker): the relay
/// stops with a non-zero exit code instead of retrying forever. The message names the problem and the fix.
/// </summary>
public sealed class RelayFatalException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Wording for configuration errors, so every one names the key in both of its spellings.</summary>
public static class ConfigKeys
{
    /// <summary>"Relay:Sources:orders:Slot (environment variable Relay__Sources__orders__Slot)".</summary>
    public static string Describe(IConfigurationSection section, string key)
    {
        var path = ConfigurationPath.Combine(section.Path, key);
        return $"{path} (environment variable {path.Replace(":", "__")})";
    }
}
