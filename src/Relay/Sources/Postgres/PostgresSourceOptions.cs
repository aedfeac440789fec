using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>The keys every Postgres source has, beside those of every source.</summary>
public abstract class PostgresSourceOptions : SourceOptions
{
    /// <summary>Npgsql connection string of the database holding the outbox. Secret: never logged or put into an exception.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>How the active replica keeps and checks its lease (key Lease:CheckInterval and so on).</summary>
    public LeaseOptions Lease { get; set; } = new();

    /// <summary>Outbox:Table parsed; valid once the options passed validation.</summary>
    public PostgresTableName Table => PostgresTableName.TryParse(Outbox.Table, out var table, out _) ? table : default;

    /// <summary>
    /// Npgsql tries GSS encryption first unless told otherwise, which loads libgssapi (absent from slim images, where
    /// every connection then logs a warning) and costs a round trip. Kerberos users say so with GssEncryptionMode.
    /// </summary>
    internal void ApplyDefaults()
    {
        if (ConnectionStringProblem(ConnectionString) is not null) return; // validation reports it
        // NpgsqlConnectionStringBuilder.ContainsKey answers for any known keyword, set or not: ask the plain parser.
        var given = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
        if (given.Keys.Cast<string>().Any(k => k.Replace(" ", "").Equals("GssEncryptionMode", StringComparison.OrdinalIgnoreCase))) return;
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { GssEncryptionMode = GssEncryptionMode.Disable };
        ConnectionString = builder.ConnectionString;
    }

    /// <summary>Problems with the connection string, the table name and the lease keys; <paramref name="roleNeeds"/> says what the role must be allowed.</summary>
    internal IEnumerable<string> ValidateConnection(IConfigurationSection section, string roleNeeds)
    {
        var key = ConfigKeys.Describe(section, "ConnectionString");
        if (string.IsNullOrWhiteSpace(ConnectionString))
            yield return $"{key} is missing. Set it to the Npgsql connection string of the database that holds the outbox, " +
                         $"e.g. Host=db;Database=app;Username=relay;Password=...; the role needs {roleNeeds}.";
        else if (ConnectionStringProblem(ConnectionString) is { } problem)
            yield return $"{key} is not a valid Npgsql connection string: {problem}"; // the text itself is never repeated: it may hold a password

        // An empty name is left to the router's validation, which reports it already.
        if (!string.IsNullOrWhiteSpace(Outbox.Table) && !PostgresTableName.TryParse(Outbox.Table, out _, out var tableProblem))
            yield return $"{ConfigKeys.Describe(section, "Outbox:Table")} is '{Outbox.Table}': {tableProblem}. Use table or schema.table, e.g. public.outbox.";
        foreach (var problem in Lease.Validate(section)) yield return problem;
    }

    /// <summary>Why Npgsql rejects the connection string, worded without any of its values.</summary>
    private static string? ConnectionStringProblem(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or OverflowException)
        {
            return "a keyword is unknown or a value has the wrong type. Check it against https://www.npgsql.org/doc/connection-string-parameters.html.";
        }
        catch (FormatException)
        {
            return "it cannot be parsed as key=value pairs separated by ';'.";
        }
        return string.IsNullOrWhiteSpace(builder.Host) ? "it names no Host. Add Host=<server>." : null;
    }
}
