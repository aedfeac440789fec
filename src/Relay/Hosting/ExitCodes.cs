namespace Relay.Hosting;

/// <summary>Relay's exit codes, the same for every command.</summary>
public static class ExitCodes
{
    /// <summary>Done: a clean stop, a valid configuration, a command that did its work.</summary>
    public const int Ok = 0;
    /// <summary>A runtime failure: every source failed, a server refused, a check found problems.</summary>
    public const int Failure = 1;
    /// <summary>Bad configuration or usage: fix the key or the command line; nothing was touched.</summary>
    public const int Configuration = 2;
}
