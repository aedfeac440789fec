using Microsoft.Extensions.Configuration;
using MySqlConnector;

namespace Relay.Sources.MySql;

/// <summary>The keys every MySQL/MariaDB source has, beside those of every source.</summary>
public abstract class MySqlSourceOptions : SourceOptions
{
    /// <summary>MySqlConnector connection string of the server holding the outbox. Secret: never logged or put into an exception.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>How the active replica keeps and checks its lease (key Lease:CheckInterval and so on).</summary>
    public LeaseOptions Lease { get; set; } = new();

    /// <summary>Outbox:Table parsed, a name without database taking the connection string's; valid once the options passed validation.</summary>
    public MySqlTableName Table => MySqlTableName.TryParse(Outbox.Table, DefaultDatabase, out var table, out _) ? table : default;

    private string? DefaultDatabase
    {
        get
        {
            try { return new MySqlConnectionStringBuilder(ConnectionString).Database; }
            catch (ArgumentException) { return null; }
        }
    }

    /// <summary>MySQL has no "public" schema: unless Outbox:Table is given, the outbox is table "outbox" of the connection's database.</summary>
    internal void ApplyDefaults(IConfigurationSection section)
    {
        if (string.IsNullOrEmpty(section.GetSection("Outbox")["Table"])) Outbox.Table = "outbox";
    }

    /// <summary>Problems with the connection string, the table name and the lease keys; <paramref name="userNeeds"/> says what the user must be allowed.</summary>
    internal IEnumerable<string> ValidateConnection(IConfigurationSection section, string userNeeds)
    {
        var key = ConfigKeys.Describe(section, "ConnectionString");
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return $"{key} is missing. Set it to the MySqlConnector connection string of the server that holds the outbox, " +
                         $"e.g. Server=db;Database=shop;User ID=relay;Password=...; the user needs {userNeeds}.";
            yield break;
        }
        if (ConnectionStringProblem(ConnectionString) is { } problem)
        {
            yield return $"{key} is not a valid MySqlConnector connection string: {problem}"; // never the text itself: it may hold a password
            yield break;
        }
        if (!string.IsNullOrWhiteSpace(Outbox.Table) && !MySqlTableName.TryParse(Outbox.Table, DefaultDatabase, out _, out var tableProblem))
            yield return $"{ConfigKeys.Describe(section, "Outbox:Table")} is '{Outbox.Table}': {tableProblem}. Use table (with Database=... in the connection string) " +
                         "or database.table, e.g. shop.outbox.";
        foreach (var leaseProblem in Lease.Validate(section)) yield return leaseProblem;
    }

    /// <summary>Why MySqlConnector rejects the connection string, worded without any of its values.</summary>
    private static string? ConnectionStringProblem(string connectionString)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or FormatException or OverflowException)
        {
            return "a keyword is unknown or a value has the wrong type. Check it against https://mysqlconnector.net/connection-options/.";
        }
        return string.IsNullOrWhiteSpace(builder.Server) ? "it names no Server. Add Server=<host>." : null;
    }
}
