using Relay.Tests.Sources.Polling;
using Relay.Sources.Postgres.Polling;

namespace Relay.Tests.Sources.Postgres.Polling;

public class PostgresPollingSourceFactoryTests
{
    private const string Valid = "Host=db;Database=orders;Username=relay;Password=hunter2";

    private static List<string> Validate(string? connectionString, Dictionary<string, string?>? keys = null)
    {
        keys ??= new Dictionary<string, string?>();
        var context = PollingHarness.Context(connectionString!, keys);
        return new PostgresPollingSourceFactory().Validate(context).ToList();
    }

    [Fact]
    public void Kind_is_PostgresPolling_and_defaults_are_valid()
    {
        Assert.Equal("PostgresPolling", new PostgresPollingSourceFactory().Kind);
        Assert.Empty(Validate(Valid));
    }

    [Fact]
    public void Missing_connection_string_names_the_key_in_both_spellings()
    {
        var error = Assert.Single(Validate(null));
        Assert.Contains("Relay:Sources:orders:ConnectionString (environment variable Relay__Sources__orders__ConnectionString)", error);
        Assert.Contains("Host=", error);
    }

    [Fact]
    public void An_unparsable_connection_string_is_reported_without_any_of_its_values()
    {
        // "Password=hun;ter2" splits the password; Npgsql's own message would quote "ter2" as a keyword.
        var errors = Validate("Host=db;Password=hun;ter2;Username=relay");
        var error = Assert.Single(errors);
        Assert.Contains("ConnectionString", error);
        Assert.DoesNotContain("hun", error);
        Assert.DoesNotContain("ter2", error);
    }

    [Fact]
    public void Reports_each_bad_key_once_with_the_fix()
    {
        var errors = Validate(Valid, new Dictionary<string, string?>
        {
            ["PollInterval"] = "fast",
            ["AfterPublish"] = "Archive",
            ["OrderColumn"] = " ", // blank; an empty value means the default
            ["Outbox:Table"] = "a.b.c",
        });
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:PollInterval") && e.Contains("00:00:00.2"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:AfterPublish") && e.Contains("Delete") && e.Contains("Mark"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:OrderColumn") && e.Contains("identity"));
        Assert.Contains(errors, e => e.Contains("Relay:Sources:orders:Outbox:Table") && e.Contains("schema.table"));
        Assert.All(errors, e => Assert.DoesNotContain("hunter2", e));
    }

    [Theory]
    [InlineData("1")] // an enum's number is not a documented value
    [InlineData("Deleted")]
    public void AfterPublish_accepts_only_Delete_or_Mark(string value)
    {
        Assert.Single(Validate(Valid, new Dictionary<string, string?> { ["AfterPublish"] = value }));
        Assert.Empty(Validate(Valid, new Dictionary<string, string?> { ["AfterPublish"] = "mark" }));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("01:00:00")]
    public void PollInterval_must_be_positive_and_at_most_ten_minutes(string value)
    {
        var error = Assert.Single(Validate(Valid, new Dictionary<string, string?> { ["PollInterval"] = value }));
        Assert.Contains("PollInterval", error);
    }

    [Fact]
    public void Mark_mode_needs_a_mark_column()
    {
        var error = Assert.Single(Validate(Valid, new Dictionary<string, string?> { ["AfterPublish"] = "Mark", ["MarkColumn"] = " " }));
        Assert.Contains("Relay:Sources:orders:MarkColumn", error);
        Assert.Contains("timestamptz", error);
    }

    [Fact]
    public void Create_refuses_an_invalid_configuration_without_leaking_it()
    {
        var context = PollingHarness.Context("Host=db;Password=hun;ter2");
        var e = Assert.Throws<RelayFatalException>(() => new PostgresPollingSourceFactory().Create(context));
        Assert.DoesNotContain("ter2", e.Message);
    }
}
