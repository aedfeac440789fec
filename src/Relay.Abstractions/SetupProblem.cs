namespace Relay;

/// <summary>A problem `relay validate --connect` found: what is wrong, and the fix. Never holds a secret.</summary>
public sealed record SetupProblem(string Problem, string Fix)
{
    /// <summary>A warning does not stop the relay (a missing index, a nearly full slot budget); an error does.</summary>
    public bool IsWarning { get; init; }
}
