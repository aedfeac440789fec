using Relay.Health;
using Relay.Sources.MySql.Binlog;
using Relay.Sources.Postgres.Replication;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Hosting;

/// <summary>The Lease:* keys of database sources, validated at start, and the stalled state they bound.</summary>
public sealed class LeaseOptionsTests
{
    private static List<string> Validate(string kind, Dictionary<string, string?> keys)
    {
        var values = new Dictionary<string, string?>
        {
            ["Relay:Sources:orders:Kind"] = kind,
            ["Relay:Sources:orders:ConnectionString"] = kind == PostgresReplicationSourceFactory.KindName
                ? "Host=db;Username=relay;Password=pw"
                : "Server=db;User ID=relay;Password=pw;Database=shop",
        };
        foreach (var (key, value) in keys) values["Relay:Sources:orders:" + key] = value;
        var context = RelayServices.Source(values, "orders");
        return kind == PostgresReplicationSourceFactory.KindName
            ? new PostgresReplicationSourceFactory().Validate(context).ToList()
            : new MySqlBinlogSourceFactory().Validate(context).ToList();
    }

    [Theory]
    [InlineData("PostgresReplication")]
    [InlineData("MySqlBinlog")]
    public void Lease_keys_bind_and_are_checked_against_each_other(string kind)
    {
        Assert.Empty(Validate(kind, new() { ["Lease:CheckInterval"] = "00:00:01", ["Lease:CheckTimeout"] = "00:00:02", ["Lease:Timeout"] = "00:00:04" }));

        var error = Assert.Single(Validate(kind, new() { ["Lease:CheckInterval"] = "00:00:05" }));
        Assert.StartsWith("Relay:Sources:orders:Lease:Timeout (environment variable Relay__Sources__orders__Lease__Timeout) (00:00:06) must be at least twice", error);

        error = Assert.Single(Validate(kind, new() { ["Lease:CheckTimeout"] = "00:00:00" }));
        Assert.Contains("Relay:Sources:orders:Lease:CheckTimeout", error);
        error = Assert.Single(Validate(kind, new() { ["Lease:Timout"] = "00:00:10" }));
        Assert.Contains("Did you mean Timeout?", error);
    }

    [Fact]
    public void A_streaming_source_that_hears_nothing_past_its_lease_checks_is_stalled_and_not_active()
    {
        var status = new SourceStatus("orders", "PostgresReplication", "main");
        status.Starting();
        status.Acquired();
        status.Streaming();
        status.Heard(TimeSpan.FromMilliseconds(200));
        Assert.Equal((SourceState.Streaming, true), (status.State, status.Active));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (status.State == SourceState.Streaming && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal((SourceState.Stalled, false), (status.State, status.Active));
        Assert.Equal(SourceState.Stalled, status.Snapshot().State);
        Assert.False(status.Snapshot().Active);

        status.Heard(); // a batch read: news again, lasting as long as the last check's
        Assert.Equal((SourceState.Streaming, true), (status.State, status.Active));

        status.LeaseLost("lost");
        Assert.Equal((SourceState.Starting, false), (status.State, status.Active));
    }
}
