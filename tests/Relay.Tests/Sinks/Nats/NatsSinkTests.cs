using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Relay.Sinks.Nats;

namespace Relay.Tests.Sinks.Nats;

public class NatsSinkTests
{
    private static NatsSink Sink(NatsSinkOptions options) => new(options, NullLogger.Instance);

    private static OutboxMessage Message(string topic, string key, string value, string id) =>
        new(topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value),
            [new("id", Encoding.UTF8.GetBytes(id)), new("type", "Created"u8.ToArray())]) { EventId = id };

    [Fact]
    public async Task Publishes_each_message_with_its_id_as_Nats_Msg_Id_then_the_position()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        var topic = kit.Name + ".order";

        await using (var sink = Sink(kit.Options))
        {
            Assert.Null(await sink.InitializeAsync("src", default));
            await sink.PublishAsync([Message(topic, "a1", "{\"n\":1}", "e1"), Message(topic, "a2", "{\"n\":2}", "e2")], new SourcePosition("p1"), default);
        }

        var records = await kit.ReadAllAsync();
        Assert.Equal(["e1", "e2"], records.Select(r => r.Id));
        Assert.Equal(["a1", "a2"], records.Select(r => r.Key));
        Assert.Equal(["{\"n\":1}", "{\"n\":2}"], records.Select(r => r.Value));
        Assert.All(records, r => Assert.Equal(topic, r.Subject));

        await using var next = Sink(kit.Options);
        Assert.Equal(new SourcePosition("p1"), await next.InitializeAsync("src", default));
    }

    [Fact]
    public async Task A_batch_published_again_from_an_older_position_is_stored_once()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        var batch = new[] { Message(topic, "a", "1", "e1"), Message(topic, "a", "2", "e2") };
        await using (var sink = Sink(kit.Options))
        {
            await sink.InitializeAsync("src", default);
            await sink.PublishAsync(batch, new SourcePosition("p2"), default);
        }

        // As after a crash between the acks and the position write: the position is still before the batch.
        await using (var store = new NatsPositionStore(kit.Options)) await store.ResetAsync("src", new SourcePosition("p0"), default);
        await using (var restarted = Sink(kit.Options))
        {
            Assert.Equal(new SourcePosition("p0"), await restarted.InitializeAsync("src", default));
            await restarted.PublishAsync([.. batch, Message(topic, "a", "3", "e3")], new SourcePosition("p3"), default);
        }

        Assert.Equal(["e1", "e2", "e3"], (await kit.ReadAllAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task A_pipelined_batch_is_stored_in_batch_order_on_every_subject_then_its_position()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        // 600 messages over three subjects, interleaved, all in flight at once.
        var batch = Enumerable.Range(1, 600)
            .Select(n => Message($"{kit.Name}.t{n % 3}", "a" + (n % 7), "{\"n\":" + n + "}", "e" + n))
            .ToArray();
        await using (var sink = Sink(kit.Options))
        {
            await sink.InitializeAsync("src", default);
            await sink.PublishAsync(batch, new SourcePosition("p600"), default);
        }

        var records = await kit.ReadAllAsync();
        Assert.Equal(batch.Select(m => m.EventId), records.Select(r => r.Id));
        Assert.Equal(batch.Select(m => m.Topic), records.Select(r => r.Subject));
        await using var store = new NatsPositionStore(kit.Options);
        Assert.Equal(new SourcePosition("p600"), await store.ReadAsync("src", default));
    }

    [Fact]
    public async Task A_message_the_stream_rejects_fails_the_batch_after_every_ack_and_the_position_stays()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        await kit.JetStream.CreateStreamAsync(new StreamConfig(kit.Name, [kit.Name + ".>"]) { MaxMsgSize = 200, DuplicateWindow = TimeSpan.FromMinutes(2) });
        var logs = new Kafka.CapturingLoggerProvider();
        await using (var sink = new NatsSink(kit.Options, logs.CreateLogger("nats")))
        {
            await sink.InitializeAsync("src", default);
            await sink.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);

            // e3 is over the stream's max_msg_size; e2 and e4 are not, and both are in flight with it.
            var error = await Assert.ThrowsAsync<NatsJSApiException>(() => sink.PublishAsync(
                [Message(topic, "a", "2", "e2"), Message(topic, "a", new string('x', 400), "e3"), Message(topic, "a", "4", "e4")],
                new SourcePosition("p4"), default));
            Assert.Contains("message size exceeds maximum allowed", error.Message);
        }

        // The position did not move; e4 overtook e3, which the relay logged as such.
        await using (var store = new NatsPositionStore(kit.Options))
            Assert.Equal(new SourcePosition("p1"), await store.ReadAsync("src", default));
        Assert.Equal(["e1", "e2", "e4"], (await kit.ReadAllAsync()).Select(r => r.Id));
        Assert.Contains(logs.Lines, line => line.StartsWith("Error nats: Source src: 1 messages of the batch were stored after an earlier message of their subject failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_newer_sink_fences_the_older_one_whose_position_write_fails()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        var topic = kit.Name + ".order";

        await using var zombie = Sink(kit.Options);
        await zombie.InitializeAsync("src", default);
        await zombie.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);

        await using var live = Sink(kit.Options);
        Assert.Equal(new SourcePosition("p1"), await live.InitializeAsync("src", default));

        await Assert.ThrowsAsync<SinkFencedException>(() =>
            zombie.PublishAsync([Message(topic, "a", "2", "e2")], new SourcePosition("p2-zombie"), default));
        await using (var store = new NatsPositionStore(kit.Options))
            Assert.Equal(new SourcePosition("p1"), await store.ReadAsync("src", default));

        // The live relay publishes the batch the zombie could not commit: its message is stored once.
        await live.PublishAsync([Message(topic, "a", "2", "e2"), Message(topic, "a", "3", "e3")], new SourcePosition("p3"), default);
        Assert.Equal(["e1", "e2", "e3"], (await kit.ReadAllAsync()).Select(r => r.Id));
        await using (var store = new NatsPositionStore(kit.Options))
            Assert.Equal(new SourcePosition("p3"), await store.ReadAsync("src", default));
    }

    [Fact]
    public async Task Offsets_reset_fences_a_running_sink_and_delete_leaves_no_position()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        var topic = kit.Name + ".order";
        await using var sink = Sink(kit.Options);
        await sink.InitializeAsync("src", default);
        await sink.PublishAsync([Message(topic, "a", "1", "e1")], new SourcePosition("p1"), default);

        await using (var store = new NatsPositionStore(kit.Options)) await store.ResetAsync("src", null, default);

        await Assert.ThrowsAsync<SinkFencedException>(() => sink.PublishAsync([Message(topic, "a", "2", "e2")], new SourcePosition("p2"), default));
        await using (var store = new NatsPositionStore(kit.Options)) Assert.Null(await store.ReadAsync("src", default));
        await using var next = Sink(kit.Options);
        Assert.Null(await next.InitializeAsync("src", default));
    }

    [Fact]
    public async Task A_stream_whose_duplicate_window_is_shorter_than_DuplicateWindow_stops_the_relay()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        await kit.JetStream.CreateStreamAsync(new StreamConfig(kit.Name, [kit.Name + ".>"]) { DuplicateWindow = TimeSpan.FromSeconds(10) });
        kit.Options.DuplicateWindow = TimeSpan.FromMinutes(5);

        await using var sink = Sink(kit.Options);
        var error = await Assert.ThrowsAsync<RelayFatalException>(() => sink.InitializeAsync("src", default));
        Assert.Contains($"JetStream stream '{kit.Name}' remembers message ids for 00:00:10 (duplicate_window), less than the sink's DuplicateWindow 00:05:00", error.Message);
    }

    [Fact]
    public async Task A_created_stream_gets_the_configured_duplicate_window()
    {
        await using var kit = await NatsTestKit.CreateAsync();
        kit.Options.DuplicateWindow = TimeSpan.FromMinutes(7);
        await using var sink = Sink(kit.Options);
        await sink.InitializeAsync("src", default);

        var stream = await kit.JetStream.GetStreamAsync(kit.Name);
        Assert.Equal(TimeSpan.FromMinutes(7), stream.Info.Config.DuplicateWindow);
        Assert.Equal(StreamConfigStorage.File, stream.Info.Config.Storage);
    }
}
