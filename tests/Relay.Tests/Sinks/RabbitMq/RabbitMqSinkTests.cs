using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Sinks.RabbitMq;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sinks.RabbitMq;

public class RabbitMqSinkTests
{
    private static RabbitMqSink Sink(RabbitMqSinkOptions options) => new(options, NullLogger.Instance);

    private static OutboxMessage Message(string topic, string key, string value, string id) =>
        new(topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value),
            [new("id", Encoding.UTF8.GetBytes(id)), new("type", "Created"u8.ToArray())]) { EventId = id };

    [Fact]
    public async Task Publishes_persistent_messages_with_their_id_and_headers_then_the_position()
    {
        await using var kit = await RabbitMqTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        kit.Track(topic);

        await using (var sink = Sink(kit.Options))
        {
            Assert.Null(await sink.InitializeAsync("src", default));
            await sink.PublishAsync([Message(topic, "a1", "{\"n\":1}", "e1"), Message(topic, "a2", "{\"n\":2}", "e2")], new SourcePosition("p1"), default);
        }

        var records = await kit.DrainAsync([topic]);
        Assert.Equal(
            [
                new RabbitMqRecord(topic, topic, "e1", "e1", "a1", "Created", true, "{\"n\":1}"),
                new RabbitMqRecord(topic, topic, "e2", "e2", "a2", "Created", true, "{\"n\":2}"),
            ],
            records);

        await using var next = Sink(kit.Options);
        Assert.Equal(new SourcePosition("p1"), await next.InitializeAsync("src", default));
    }

    [Fact]
    public async Task A_second_sink_cannot_take_the_source_while_the_first_holds_its_lock()
    {
        await using var kit = await RabbitMqTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        kit.Track(topic);
        await using var first = Sink(kit.Options);
        await first.InitializeAsync("src", default);

        await using var second = Sink(kit.Options);
        var error = await Assert.ThrowsAsync<SinkFencedException>(() => second.InitializeAsync("src", default));
        Assert.Contains($"lock queue '{kit.Name}.lock.src'", error.Message);

        await first.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);
        await using var store = new RabbitMqPositionStore(kit.Options);
        Assert.Equal(new SourcePosition("p1"), await store.ReadAsync("src", default));
        var reset = await Assert.ThrowsAsync<InvalidOperationException>(() => store.ResetAsync("src", new SourcePosition("p0"), default));
        Assert.Contains("Stop it, then reset", reset.Message);
    }

    [Fact]
    public async Task A_relay_cut_off_from_the_broker_loses_its_lock_and_cannot_write_its_position()
    {
        await using var kit = await RabbitMqTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        kit.Track(topic);
        var broker = new Uri(kit.Uri);
        using var proxy = new TcpCutProxy(broker.Host, broker.Port);
        var zombieOptions = new RabbitMqSinkOptions
        {
            Uri = new UriBuilder(broker) { Port = proxy.Port }.Uri.ToString(), Exchange = kit.Options.Exchange, QueuePrefix = kit.Options.QueuePrefix,
        };

        await using var zombie = Sink(zombieOptions);
        await zombie.InitializeAsync("src", default);
        await zombie.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);

        proxy.Cut();
        // The broker frees the lock when it sees the connection close; the successor takes over once it has.
        await using var live = await InitializeWhenFreeAsync(kit.Options);
        await Assert.ThrowsAnyAsync<Exception>(() => zombie.PublishAsync([Message(topic, "a", "2", "e2")], new SourcePosition("p2-zombie"), default));

        await live.PublishAsync([Message(topic, "a", "2", "e2")], new SourcePosition("p2"), default);
        await using var store = new RabbitMqPositionStore(kit.Options);
        Assert.Equal(new SourcePosition("p2"), await store.ReadAsync("src", default));
        Assert.Equal(["e1", "e2"], (await kit.DrainAsync([topic])).Select(r => r.Id));
    }

    [Fact]
    public async Task Offsets_reset_and_delete_move_the_position_of_a_stopped_relay()
    {
        await using var kit = await RabbitMqTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        kit.Track(topic);
        await using (var sink = Sink(kit.Options))
        {
            await sink.InitializeAsync("src", default);
            await sink.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);
        }

        await using (var store = new RabbitMqPositionStore(kit.Options))
        {
            await store.ResetAsync("src", new SourcePosition("p0"), default);
            Assert.Equal(new SourcePosition("p0"), await store.ReadAsync("src", default));
        }
        await using (var sink = Sink(kit.Options)) Assert.Equal(new SourcePosition("p0"), await sink.InitializeAsync("src", default));
        await using (var store = new RabbitMqPositionStore(kit.Options)) await store.ResetAsync("src", null, default);
        await using (var sink = Sink(kit.Options)) Assert.Null(await sink.InitializeAsync("src", default));
    }

    private static async Task<RabbitMqSink> InitializeWhenFreeAsync(RabbitMqSinkOptions options)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var sink = Sink(options);
            try
            {
                await sink.InitializeAsync("src", default);
                return sink;
            }
            catch (SinkFencedException) when (DateTime.UtcNow < deadline)
            {
                await sink.DisposeAsync();
                await Task.Delay(100);
            }
        }
    }
}
