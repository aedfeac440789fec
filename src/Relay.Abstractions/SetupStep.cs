namespace Relay;

/// <summary>One statement of a source's setup script and why it is there.</summary>
public sealed record SetupStep(string Purpose, string Sql)
{
    /// <summary>
    /// A step written as SQL comments: shown for an administrator to run (grants the relay's own account may not
    /// give itself), never run by `relay setup --apply`.
    /// </summary>
    public bool IsForAdministrator => Sql.Split('\n').All(line => line.TrimStart().StartsWith("--", StringComparison.Ordinal));
}
