using System.Text;
using Confluent.Kafka;
using Relay.Bench.Infrastructure;

namespace Relay.Bench.Limits;

/// <summary>
/// A plain transactional producer to the same broker: the same kind of messages (key, JSON value, id and type
/// headers) in transactions of the same size as the relay's batches, plus one position record per transaction.
/// </summary>
public static class RawKafkaProducer
{
    public static async Task<LimitRun> RunAsync(KafkaBroker kafka, string topic, int messages, int perTransaction, int payloadBytes)
    {
        kafka.EnsureTopic(topic);
        kafka.EnsureTopic(topic + ".offsets");
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            TransactionalId = "relay-bench-raw-" + topic,
            EnableIdempotence = true,
            Acks = Acks.All,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
        }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        var value = Encoding.UTF8.GetBytes("{\"n\": 1, \"pad\": \"" + new string('x', Math.Max(1, payloadBytes - 22)) + "\"}");
        var started = BenchClock.Now;
        for (var sent = 0; sent < messages; sent += perTransaction)
        {
            producer.BeginTransaction();
            var count = Math.Min(perTransaction, messages - sent);
            for (var i = 0; i < count; i++)
            {
                var n = sent + i;
                var message = new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes((n % 1000).ToString()),
                    Value = value,
                    Headers = new Headers { { "id", Encoding.UTF8.GetBytes(Guid.NewGuid().ToString()) }, { "type", "Created"u8.ToArray() } },
                };
                while (true)
                {
                    try { producer.Produce(topic, message); break; }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull) { await Task.Delay(1); }
                }
            }
            producer.Produce(topic + ".offsets", new Message<byte[], byte[]> { Key = "raw"u8.ToArray(), Value = Encoding.UTF8.GetBytes($"pos:{sent + count}") });
            producer.CommitTransaction();
        }
        return new LimitRun($"transactional producer, {perTransaction} msgs/txn", messages, BenchClock.SecondsSince(started));
    }
}
