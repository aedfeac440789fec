using System.Text;
using RabbitMQ.Client;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>
/// Plain publishes with publisher confirms to the same broker as the relay makes them: persistent, mandatory messages
/// with message-id and the key, id and type headers, to a topic exchange with one durable queue bound; a batch at a
/// time (the relay's batch size), up to <see cref="InFlight"/> (the sink's default MaxInFlight) awaiting their
/// confirms at once, plus one confirmed position message per batch.
/// </summary>
public static class RawRabbitMqPublisher
{
    public const string Name = "publisher confirms";
    private const int InFlight = 256;

    public static async Task<LimitRun> RunAsync(string uri, string run, int messages, int perBatch, int payloadBytes)
    {
        var exchange = $"bench.raw.{run}";
        var queue = exchange + ".order";
        var position = exchange + ".position";
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "relay-bench-raw" }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, queue);
        await channel.QueueDeclareAsync(position, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "drop-head" });
        try
        {
            var value = Encoding.UTF8.GetBytes("{\"n\": 1, \"pad\": \"" + new string('x', Math.Max(1, payloadBytes - 22)) + "\"}");
            var started = BenchClock.Now;
            var pending = new List<Task>(InFlight);
            for (var sent = 0; sent < messages; sent += perBatch)
            {
                var count = Math.Min(perBatch, messages - sent);
                for (var window = 0; window < count; window += InFlight)
                {
                    pending.Clear();
                    for (var i = window; i < Math.Min(count, window + InFlight); i++)
                    {
                        var id = Guid.NewGuid().ToString();
                        var properties = new BasicProperties
                        {
                            Persistent = true,
                            MessageId = id,
                            Headers = new Dictionary<string, object?>
                            {
                                ["relay.key"] = Encoding.UTF8.GetBytes(((sent + i) % 1000).ToString()),
                                ["id"] = Encoding.UTF8.GetBytes(id),
                                ["type"] = "Created"u8.ToArray(),
                            },
                        };
                        pending.Add(channel.BasicPublishAsync(exchange, queue, mandatory: true, properties, value).AsTask());
                    }
                    await Task.WhenAll(pending);
                }
                await channel.BasicPublishAsync("", position, mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes($"pos:{sent + count}"));
            }
            return new LimitRun($"{Name}, {perBatch} per batch, {InFlight} in flight", messages, BenchClock.SecondsSince(started));
        }
        finally
        {
            await channel.QueueDeleteAsync(queue);
            await channel.QueueDeleteAsync(position);
            await channel.ExchangeDeleteAsync(exchange);
        }
    }
}
