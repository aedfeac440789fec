namespace Relay;

/// <summary>One statement of a source's setup script and why it is there.</summary>
public sealed record SetupStep(string Purpose, string Sql);
