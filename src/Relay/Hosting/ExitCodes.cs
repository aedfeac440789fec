namespace Relay.Hosting;

/// <summary>Relay's exit codes, the same for every command.</summary>
public static class ExitCodes
{
    /// <summary>Done: a clean stop after SIGTERM, a valid configuration, a command that did its work.</summary>
    public const int Ok = 0;
    /// <summary>A runtime failure: every source failed, a server refused the work, `setup --apply` or `offsets` failed.</summary>
    public const int Failure = 1;
    /// <summary>Bad configuration or usage (an unknown option, a missing --config file): nothing was touched.</summary>
    public const int Configuration = 2;
    /// <summary>`validate --connect` found problems on the servers (unreachable, missing rights or objects); each is printed with its fix.</summary>
    public const int ChecksFailed = 3;
    /// <summary>`offsets reset` was not confirmed (no --yes, and no terminal or another answer than yes): nothing changed.</summary>
    public const int Declined = 4;
}
