using Relay.Sources.Postgres.Replication;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Postgres.Replication;

public class PostgresReplicationOptionsTests
{
    private const string Cs = "Host=db;Database=app;Username=relay;Password=s3cret-pw";
    private static readonly PostgresReplicationSourceFactory Factory = new();

    [Fact]
    public void Valid_configuration_has_no_errors_and_defaults_slot_and_publication_from_the_source_name()
    {
        var context = ReplicationTestKit.Context(Cs, name: "Orders-EU.1");
        Assert.Empty(Factory.Validate(context));

        var options = RelayServices.Options<PostgresReplicationOptions>(context);
        Assert.Equal("relay_orders_eu_1", options.Slot);
        Assert.Equal("relay_orders_eu_1", options.Publication);
        Assert.True(options.CreateSlot);
        Assert.True(options.CreatePublication);
        Assert.Equal(TimeSpan.FromSeconds(10), options.StatusInterval);
        Assert.Equal(1000, options.MaxBatchRows);
        Assert.Equal(new("public", "outbox"), options.Table);
    }

    [Fact]
    public void Reads_every_key()
    {
        var context = ReplicationTestKit.Context(Cs, settings: new Dictionary<string, string?>
        {
            ["Slot"] = "my_slot", ["Publication"] = "my_pub", ["CreateSlot"] = "false", ["CreatePublication"] = "False",
            ["StatusInterval"] = "00:00:00.250", ["MaxBatchRows"] = "25",
        }, table: "app.\"Outbox\"");
        var options = RelayServices.Options<PostgresReplicationOptions>(context);

        Assert.Equal("my_slot", options.Slot);
        Assert.Equal("my_pub", options.Publication);
        Assert.False(options.CreateSlot);
        Assert.False(options.CreatePublication);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.StatusInterval);
        Assert.Equal(25, options.MaxBatchRows);
        Assert.Equal(new("app", "Outbox"), options.Table);
    }

    [Fact]
    public void Gss_encryption_is_off_unless_the_connection_string_asks_for_it()
    {
        var plain = RelayServices.Options<PostgresReplicationOptions>(ReplicationTestKit.Context(Cs));
        Assert.Equal(Npgsql.GssEncryptionMode.Disable, new Npgsql.NpgsqlConnectionStringBuilder(plain.ConnectionString).GssEncryptionMode);
        Assert.Equal("s3cret-pw", new Npgsql.NpgsqlConnectionStringBuilder(plain.ConnectionString).Password);

        var kerberos = RelayServices.Options<PostgresReplicationOptions>(ReplicationTestKit.Context(Cs + ";Gss Encryption Mode=Require"));
        Assert.Equal(Npgsql.GssEncryptionMode.Require, new Npgsql.NpgsqlConnectionStringBuilder(kerberos.ConnectionString).GssEncryptionMode);
    }

    [Fact]
    public void A_long_source_name_gives_a_slot_name_the_server_accepts()
    {
        Assert.Equal(63, PostgresReplicationOptions.DefaultSlotName(new string('x', 100)).Length);
    }

    [Fact]
    public void Missing_connection_string_names_the_key_in_both_spellings_and_the_fix()
    {
        var error = Assert.Single(Factory.Validate(ReplicationTestKit.Context("")));
        Assert.Contains("Relay:Sources:orders:ConnectionString (environment variable Relay__Sources__orders__ConnectionString)", error);
        Assert.Contains("Set it to", error);
    }

    [Fact]
    public void One_message_per_problem_and_never_the_connection_string()
    {
        var context = ReplicationTestKit.Context("Host=db;Password=s3cret-pw;Bogus Key=1", settings: new Dictionary<string, string?>
        {
            ["Slot"] = "Bad-Slot", ["Publication"] = "bad pub", ["CreateSlot"] = "yes", ["CreatePublication"] = "no",
            ["StatusInterval"] = "soon",
        }, table: "a.b.c");
        var errors = Factory.Validate(context).ToList();

        Assert.Equal(7, errors.Count);
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:ConnectionString") && e.Contains("not a valid"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:Outbox:Table") && e.Contains("schema.table"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:Slot") && e.Contains("lower-case"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:Publication"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:CreateSlot") && e.Contains("true or false"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:CreatePublication"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:StatusInterval"));
        Assert.All(errors, e => Assert.DoesNotContain("s3cret", e));
        Assert.All(errors, e => Assert.Contains("environment variable Relay__Sources__orders__", e));
    }

    [Fact]
    public void Create_refuses_an_invalid_configuration_with_a_fatal_error()
    {
        Assert.Throws<RelayFatalException>(() => Factory.Create(ReplicationTestKit.Context("")));
    }
}
