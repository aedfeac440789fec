using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Relay.Sources;

/// <summary>
/// The keys of a source's lease (section Relay:Sources:&lt;name&gt;:Lease): how often the holder proves it still
/// holds the lease, and how soon the database lets go of the lease of a client it no longer hears from. The defaults
/// hand a partitioned replica's source to a standby within about 10 s.
/// </summary>
public sealed class LeaseOptions
{
    /// <summary>How often the active replica checks, on the lease's own session, that it still holds the lease.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one check may take; a check that fails or takes longer means the lease is lost.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the database keeps the lease (and, on Postgres, the replication connection) of a client it no longer
    /// hears from: Postgres TCP keepalives and tcp_user_timeout, MySQL/MariaDB wait_timeout of the lease session.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Whole seconds of <see cref="Timeout"/>, at least 1: what the servers' settings take.</summary>
    internal int TimeoutSeconds => Math.Max(1, (int)Math.Ceiling(Timeout.TotalSeconds));

    /// <summary>
    /// Postgres session settings that make the server drop a silent client within <see cref="Timeout"/>: keepalive
    /// probes start after a third of it, one a second, and tcp_user_timeout bounds unacknowledged data the same way.
    /// </summary>
    internal string PostgresSessionOptions
    {
        get
        {
            var idle = Math.Max(1, TimeoutSeconds / 3);
            var count = Math.Max(1, TimeoutSeconds - idle);
            return string.Create(CultureInfo.InvariantCulture,
                $"-c tcp_keepalives_idle={idle} -c tcp_keepalives_interval=1 -c tcp_keepalives_count={count} -c tcp_user_timeout={TimeoutSeconds * 1000}");
        }
    }

    internal IEnumerable<string> Validate(IConfigurationSection source)
    {
        var section = source.GetSection("Lease");
        if (CheckInterval < TimeSpan.FromMilliseconds(100) || CheckInterval > TimeSpan.FromMinutes(1))
            yield return $"{ConfigKeys.Describe(section, "CheckInterval")} is {CheckInterval}. Set it between 00:00:00.1 and 00:01:00 (default 00:00:02).";
        if (CheckTimeout < TimeSpan.FromMilliseconds(100) || CheckTimeout > TimeSpan.FromMinutes(1))
            yield return $"{ConfigKeys.Describe(section, "CheckTimeout")} is {CheckTimeout}. Set it between 00:00:00.1 and 00:01:00 (default 00:00:03).";
        // The live holder talks to the lease session every CheckInterval: the server must not give up on it in between.
        if (Timeout < TimeSpan.FromSeconds(2) || Timeout > TimeSpan.FromHours(1))
            yield return $"{ConfigKeys.Describe(section, "Timeout")} is {Timeout}. Set it between 00:00:02 and 01:00:00 (default 00:00:06).";
        else if (Timeout < 2 * CheckInterval)
            yield return $"{ConfigKeys.Describe(section, "Timeout")} ({Timeout}) must be at least twice {ConfigKeys.Describe(section, "CheckInterval")} ({CheckInterval}): " +
                         "the server would drop the lease of a live holder between two checks.";
    }
}
