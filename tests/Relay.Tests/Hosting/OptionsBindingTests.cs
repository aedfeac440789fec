using Relay.Sinks.Kafka;
using Relay.Sources.Postgres.Polling;
using Relay.Sources.Postgres.Replication;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Hosting;

/// <summary>One way of reading keys for every kind: unknown keys, unconvertible values and blank values, each reported with the fix.</summary>
public sealed class OptionsBindingTests
{
    private static List<string> ValidateSource(string kind, Dictionary<string, string?> keys)
    {
        var values = new Dictionary<string, string?>
        {
            ["Relay:Sources:orders:Kind"] = kind,
            ["Relay:Sources:orders:ConnectionString"] = "Host=db;Username=relay;Password=pw",
        };
        foreach (var (key, value) in keys) values["Relay:Sources:orders:" + key] = value;
        var context = RelayServices.Source(values, "orders");
        return kind == PostgresPollingSourceFactory.KindName
            ? new PostgresPollingSourceFactory().Validate(context).ToList()
            : new PostgresReplicationSourceFactory().Validate(context).ToList();
    }

    [Fact]
    public void An_unknown_key_is_named_with_the_closest_real_key_and_the_list_of_keys()
    {
        var error = Assert.Single(ValidateSource(PostgresReplicationSourceFactory.KindName, new() { ["Slto"] = "my_slot" }));
        Assert.StartsWith("Relay:Sources:orders:Slto (environment variable Relay__Sources__orders__Slto) is not a key of a PostgresReplication source.", error);
        Assert.Contains("Did you mean Slot?", error);
        Assert.Contains("StatusInterval", error);
    }

    [Fact]
    public void A_key_of_another_kind_is_unknown_here()
    {
        // PollInterval belongs to polling sources: a log-tailing source would silently ignore it.
        var error = Assert.Single(ValidateSource(PostgresReplicationSourceFactory.KindName, new() { ["PollInterval"] = "00:00:01" }));
        Assert.Contains("Relay:Sources:orders:PollInterval", error);
        Assert.Empty(ValidateSource(PostgresPollingSourceFactory.KindName, new() { ["PollInterval"] = "00:00:01" }));
    }

    [Fact]
    public void Unknown_keys_inside_the_outbox_mapping_are_found_too()
    {
        var error = Assert.Single(ValidateSource(PostgresPollingSourceFactory.KindName, new() { ["Outbox:TopicTemplat"] = "x.{aggregatetype}" }));
        Assert.Contains("Relay:Sources:orders:Outbox:TopicTemplat", error);
        Assert.Contains("Did you mean TopicTemplate?", error);
    }

    [Fact]
    public void Bools_time_spans_and_enums_are_read_one_way_with_the_default_in_the_fix()
    {
        var errors = ValidateSource(PostgresPollingSourceFactory.KindName, new()
        {
            ["Enabled"] = "yes", ["PollInterval"] = "soon", ["AfterPublish"] = "1", ["MaxBatchRows"] = "many",
        });
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Relay:Sources:orders:Enabled (environment variable Relay__Sources__orders__Enabled) is 'yes'. Set it to true or false (default true)."));
        Assert.Contains(errors, e => e.Contains("PollInterval") && e.Contains("is 'soon'. Set it to a time span") && e.Contains("(default 00:00:00.2000000)"));
        Assert.Contains(errors, e => e.Contains("AfterPublish") && e.Contains("is '1'. Set it to one of: Delete, Mark (default Delete)."));
        Assert.Contains(errors, e => e.Contains("MaxBatchRows") && e.Contains("whole number (default 5000)"));
    }

    [Fact]
    public void An_empty_value_means_the_default()
    {
        var context = RelayServices.Source(new Dictionary<string, string?>
        {
            ["Relay:Sources:orders:Kind"] = PostgresReplicationSourceFactory.KindName,
            ["Relay:Sources:orders:ConnectionString"] = "Host=db",
            ["Relay:Sources:orders:CreateSlot"] = "",
            ["Relay:Sources:orders:StatusInterval"] = "",
            ["Relay:Sources:orders:Slot"] = "",
        }, "orders");
        var options = RelayServices.Options<PostgresReplicationOptions>(context);
        Assert.True(options.CreateSlot);
        Assert.Equal(TimeSpan.FromSeconds(10), options.StatusInterval);
        Assert.Equal("relay_orders", options.Slot);
    }

    [Fact]
    public void Sinks_report_unknown_keys_and_never_echo_text_values()
    {
        var context = RelayServices.Sink(new Dictionary<string, string?>
        {
            ["Relay:Sinks:k:Kind"] = "Kafka",
            ["Relay:Sinks:k:BootstrapServers"] = "b:9092",
            ["Relay:Sinks:k:Pasword"] = "hunter2",
            ["Relay:Sinks:k:Config:sasl.password"] = "hunter3",
        }, "k");
        var error = Assert.Single(new KafkaSinkFactory().Validate(context));
        Assert.Contains("Relay:Sinks:k:Pasword", error);
        Assert.DoesNotContain("hunter", error);
    }
}
