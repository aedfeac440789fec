using Npgsql;

namespace Relay.Sources.Postgres;

/// <summary>The keys every Postgres source has, read and checked without touching the database.</summary>
internal static class PostgresSettings
{
    /// <summary>The source's ConnectionString, or null with the problem added to <paramref name="errors"/>.</summary>
    public static string? ReadConnectionString(SourceContext context, string roleNeeds, List<string> errors)
    {
        var key = ConfigKeys.Describe(context.Section, "ConnectionString");
        var connectionString = context.Section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            errors.Add($"{key} is missing. Set it to the Npgsql connection string of the database that holds the outbox, " +
                       $"e.g. Host=db;Database=app;Username=relay;Password=...; the role needs {roleNeeds}.");
            return null;
        }
        if (Problem(connectionString) is { } problem)
        {
            // The text itself is never repeated: it may hold a password.
            errors.Add($"{key} is not a valid Npgsql connection string: {problem}");
            return null;
        }
        return connectionString;
    }

    /// <summary>The outbox table; an empty name is left to the router's validation, which reports it already.</summary>
    public static PostgresTableName ReadTable(SourceContext context, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(context.Outbox.Table)) return default;
        if (PostgresTableName.TryParse(context.Outbox.Table, out var table, out var problem)) return table;
        errors.Add($"{ConfigKeys.Describe(context.Section, "Outbox:Table")} is '{context.Outbox.Table}': {problem}. Use table or schema.table, e.g. public.outbox.");
        return default;
    }

    /// <summary>Why Npgsql rejects the connection string, worded without any of its values.</summary>
    private static string? Problem(string connectionString)
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
