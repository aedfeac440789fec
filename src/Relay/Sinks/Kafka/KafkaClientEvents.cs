using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Relay.Sinks.Kafka;

/// <summary>
/// librdkafka's log lines and error events for one sink, forwarded to the ILogger with secrets
/// scrubbed. Also remembers the producer's fatal error, which tells a fenced producer from other failures.
/// </summary>
internal sealed class KafkaClientEvents(ILogger logger, KafkaSecrets secrets, string sourceName)
{
    private volatile Error? _fatal;

    /// <summary>The fatal error the producer raised, if any; after one it can only be disposed.</summary>
    public Error? FatalError => _fatal;

    public KafkaSecrets Secrets => secrets;

    public void OnLog(IClient client, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Error,
            // librdkafka logs every failed connection attempt as an error; it reconnects by itself.
            SyslogLevel.Error or SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, "Source {Source}: Kafka client {Client} {Facility}: {Message}",
            sourceName, message.Name, message.Facility, secrets.Scrub(message.Message));
    }

    public void OnError(IClient client, Error error)
    {
        if (error.IsFatal)
        {
            _fatal ??= error;
            logger.LogError("Source {Source}: Kafka client {Client} failed fatally: {Code} {Reason}",
                sourceName, client.Name, error.Code, secrets.Scrub(error.Reason));
            return;
        }
        // Transport errors are already in librdkafka's own log lines; the rest (all brokers down,
        // authentication failures ...) are worth a warning.
        logger.Log(error.Code == ErrorCode.Local_Transport ? LogLevel.Debug : LogLevel.Warning,
            "Source {Source}: Kafka client {Client}: {Code} {Reason}",
            sourceName, client.Name, error.Code, secrets.Scrub(error.Reason));
    }
}
