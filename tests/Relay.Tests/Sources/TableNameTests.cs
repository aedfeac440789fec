using Relay.Sources.MySql;
using Relay.Sources.Postgres;

namespace Relay.Tests.Sources;

/// <summary>Outbox:Table as each database reads a name: quoting, case folding, the default schema, and the errors.</summary>
public class TableNameTests
{
    [Theory]
    [InlineData("outbox", "public", "outbox")]
    [InlineData("App.Outbox", "app", "outbox")]
    [InlineData("\"App\".\"Out.box\"", "App", "Out.box")]
    [InlineData("\"Say \"\"hi\"\"\".outbox", "Say \"hi\"", "outbox")]
    [InlineData(" app . outbox ", "app", "outbox")]
    public void Postgres_names_fold_unquoted_parts_and_default_to_public(string text, string schema, string table)
    {
        Assert.True(PostgresTableName.TryParse(text, out var name, out var problem), problem);
        Assert.Equal(new PostgresTableName(schema, table), name);
    }

    [Theory]
    [InlineData("Outbox", "shop", "Outbox")]
    [InlineData("Shop.Outbox", "Shop", "Outbox")]
    [InlineData("`my db`.`out``box`", "my db", "out`box")]
    public void MySql_names_keep_their_case_and_default_to_the_connection_database(string text, string schema, string table)
    {
        Assert.True(MySqlTableName.TryParse(text, "shop", out var name, out var problem), problem);
        Assert.Equal(new MySqlTableName(schema, table), name);
        Assert.Equal(name, MySqlTableName.TryParse(name.Quoted, null, out var again, out _) ? again : default);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("\"open", "a quoted name is not closed")]
    [InlineData("a..b", "a name part is empty")]
    [InlineData("\"a\"b", "unexpected 'b' at position 3")]
    [InlineData("a.b.c", "use table or schema.table")]
    public void Postgres_name_problems_are_named(string text, string expected)
    {
        Assert.False(PostgresTableName.TryParse(text, out _, out var problem));
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void A_MySql_name_without_a_database_needs_one_in_the_connection_string()
    {
        Assert.False(MySqlTableName.TryParse("outbox", null, out _, out var problem));
        Assert.Contains("Database=", problem);
    }
}
