using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Sinks.Redis;
using Relay.Tests.Infrastructure;
using StackExchange.Redis;

namespace Relay.Tests.Sinks.Redis;

public class RedisSinkTests
{
    private static async Task<(RedisSinkOptions Options, IDatabase Db, ConnectionMultiplexer Mux)> SetupAsync()
    {
        var configuration = await TestServers.RedisAsync();
        var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = new RedisSinkOptions { Configuration = configuration, KeyPrefix = $"relay-test:{Guid.NewGuid():N}:" };
        return (options, mux.GetDatabase(), mux);
    }

    private static RedisSink Sink(RedisSinkOptions options) => new(options, NullLogger<RedisSink>.Instance);

    private static OutboxMessage Message(string topic, string key, string value, string id) =>
        new(topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value),
            [new("id", Encoding.UTF8.GetBytes(id)), new("type", "Created"u8.ToArray())]) { EventId = id };

    [Fact]
    public async Task Publishes_entries_and_the_position_together_and_reads_the_position_back()
    {
        var (options, db, mux) = await SetupAsync();
        using var _ = mux;
        var topic = "relay-test." + Guid.NewGuid().ToString("N");

        await using (var sink = Sink(options))
        {
            Assert.Null(await sink.InitializeAsync("src", default));
            await sink.PublishAsync([Message(topic, "a1", "{\"n\":1}", "e1"), Message(topic, "a2", "{\"n\":2}", "e2")], new SourcePosition("p1"), default);
        }

        var entries = await db.StreamRangeAsync(topic);
        Assert.Equal(2, entries.Length);
        Assert.Equal("a1", (string?)entries[0][RedisSink.KeyField]);
        Assert.Equal("{\"n\":1}", (string?)entries[0][RedisSink.ValueField]);
        Assert.Equal("e1", (string?)entries[0][RedisSink.HeaderFieldPrefix + "id"]);
        Assert.Equal("Created", (string?)entries[0][RedisSink.HeaderFieldPrefix + "type"]);
        Assert.Equal("e2", (string?)entries[1][RedisSink.HeaderFieldPrefix + "id"]);

        await using var next = Sink(options);
        Assert.Equal(new SourcePosition("p1"), await next.InitializeAsync("src", default));
        await db.KeyDeleteAsync(topic);
    }

    [Fact]
    public async Task A_newer_sink_fences_the_older_one_whose_batch_is_discarded_whole()
    {
        var (options, db, mux) = await SetupAsync();
        using var _ = mux;
        var topic = "relay-test." + Guid.NewGuid().ToString("N");

        await using var zombie = Sink(options);
        await zombie.InitializeAsync("src", default);
        await zombie.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);

        await using var live = Sink(options);
        Assert.Equal(new SourcePosition("p1"), await live.InitializeAsync("src", default));

        await Assert.ThrowsAsync<SinkFencedException>(() =>
            zombie.PublishAsync([Message(topic, "a", "2", "e2"), Message(topic, "a", "3", "e3")], new SourcePosition("p3"), default));
        Assert.Equal(1, await db.StreamLengthAsync(topic));
        Assert.Equal("p1", (string?)await db.HashGetAsync(options.KeyPrefix + "offsets", "src"));

        await live.PublishAsync([Message(topic, "a", "2", "e2")], new SourcePosition("p2"), default);
        Assert.Equal(2, await db.StreamLengthAsync(topic));
        Assert.Equal("p2", (string?)await db.HashGetAsync(options.KeyPrefix + "offsets", "src"));
        await db.KeyDeleteAsync(topic);
    }

    [Fact]
    public async Task A_topic_key_of_another_type_stops_the_relay_before_anything_is_committed()
    {
        var (options, db, mux) = await SetupAsync();
        using var _ = mux;
        var good = "relay-test." + Guid.NewGuid().ToString("N");
        var clash = "relay-test." + Guid.NewGuid().ToString("N");
        await db.StringSetAsync(clash, "not a stream");

        await using var sink = Sink(options);
        await sink.InitializeAsync("src", default);
        var e = await Assert.ThrowsAsync<RelayFatalException>(() =>
            sink.PublishAsync([Message(good, "a", "1", "e1"), Message(clash, "b", "2", "e2")], new SourcePosition("p1"), default));

        Assert.Contains(clash, e.Message);
        Assert.Equal(0, await db.StreamLengthAsync(good));
        Assert.True((await db.HashGetAsync(options.KeyPrefix + "offsets", "src")).IsNull);
        await db.KeyDeleteAsync([good, clash]);
    }

    [Fact]
    public async Task A_stream_key_replaced_by_another_type_between_batches_commits_nothing_and_keeps_the_position()
    {
        var (options, db, mux) = await SetupAsync();
        using var _ = mux;
        var other = "relay-test." + Guid.NewGuid().ToString("N");
        var swapped = "relay-test." + Guid.NewGuid().ToString("N");

        await using var sink = Sink(options);
        await sink.InitializeAsync("src", default);
        await sink.PublishAsync([Message(swapped, "a", "1", "e1"), Message(other, "b", "1", "e2")], new SourcePosition("p1"), default);
        Assert.Equal(1, await db.StreamLengthAsync(swapped));

        // Someone replaces the stream with a list between two batches of the same sink.
        await db.KeyDeleteAsync(swapped);
        await db.ListRightPushAsync(swapped, "not a stream");

        var e = await Assert.ThrowsAsync<RelayFatalException>(() =>
            sink.PublishAsync([Message(other, "b", "2", "e3"), Message(swapped, "a", "2", "e4")], new SourcePosition("p2"), default));
        Assert.Contains(swapped, e.Message);
        Assert.Contains("list", e.Message);
        Assert.Equal(1, await db.StreamLengthAsync(other)); // the batch's other stream got nothing either
        Assert.Equal(1, await db.ListLengthAsync(swapped));
        Assert.Equal("p1", (string?)await db.HashGetAsync(options.KeyPrefix + "offsets", "src"));
        await db.KeyDeleteAsync([other, swapped]);
    }

    [Fact]
    public async Task MaxStreamLength_trims_each_stream_approximately()
    {
        var (options, db, mux) = await SetupAsync();
        using var _ = mux;
        var topic = "relay-test." + Guid.NewGuid().ToString("N");
        var trimmed = new RedisSinkOptions { Configuration = options.Configuration, KeyPrefix = options.KeyPrefix, MaxStreamLength = 10 };

        await using var sink = Sink(trimmed);
        await sink.InitializeAsync("src", default);
        for (var batch = 0; batch < 30; batch++)
            await sink.PublishAsync(Enumerable.Range(0, 20).Select(i => Message(topic, "k", $"{batch}.{i}", $"e{batch}.{i}")).ToList(), new SourcePosition($"p{batch}"), default);

        // MAXLEN ~ trims whole macro nodes (100 entries by default), so far fewer than the 600 written remain.
        Assert.InRange(await db.StreamLengthAsync(topic), 10, 300);
        Assert.Equal("p29", (string?)await db.HashGetAsync(options.KeyPrefix + "offsets", "src"));
        await db.KeyDeleteAsync(topic);
    }

    [Fact]
    public void Validation_names_the_missing_key_and_never_echoes_the_password()
    {
        var factory = new RedisSinkFactory(NullLoggerFactory.Instance);
        var config = new Dictionary<string, string?>
        {
            ["Relay:Sinks:r1:Kind"] = "Redis",
            ["Relay:Sinks:r2:Kind"] = "Redis",
            ["Relay:Sinks:r2:Configuration"] = "127.0.0.1:6379,password=hunter2,bogusoption=1",
        };

        var missing = factory.Validate(RelayServices.Sink(config, "r1")).ToList();
        Assert.Contains(missing, m => m.Contains("Relay:Sinks:r1:Configuration") && m.Contains("Relay__Sinks__r1__Configuration"));

        var bad = factory.Validate(RelayServices.Sink(config, "r2")).ToList();
        Assert.All(bad, m => Assert.DoesNotContain("hunter2", m));
    }
}
