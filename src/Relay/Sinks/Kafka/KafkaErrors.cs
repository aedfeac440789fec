using Confluent.Kafka;

namespace Relay.Sinks.Kafka;

/// <summary>Sorts producer failures into the cases the sink handles differently.</summary>
internal static class KafkaErrors
{
    /// <summary>
    /// Another producer with the same transactional id took over. librdkafka reports it as a fenced
    /// error code, or as a generic fatal error whose cause was fencing.
    /// </summary>
    public static bool IsFenced(Error error, Error? fatal)
    {
        if (IsFencingCode(error.Code)) return true;
        // Once the producer failed fatally by fencing, every later failure (a purged delivery ...) stems from it.
        if (fatal is not null && (IsFencingCode(fatal.Code) || MentionsFencing(fatal.Reason))) return true;
        return (error.IsFatal || error.Code == ErrorCode.Local_Fatal) && MentionsFencing(error.Reason);
    }

    public static bool IsFatal(Error error, Error? fatal) => error.IsFatal || error.Code == ErrorCode.Local_Fatal || fatal is not null;

    private static bool IsFencingCode(ErrorCode code) =>
        code is ErrorCode.ProducerFenced or ErrorCode.Local_Fenced or ErrorCode.InvalidProducerEpoch;

    // The fatal event carries the cause only in its text ("Fatal error: Broker: Producer attempted an
    // operation with an old epoch", "... has been fenced ...").
    private static bool MentionsFencing(string? reason) =>
        reason is not null && (reason.Contains("fenced", StringComparison.OrdinalIgnoreCase)
                               || reason.Contains("old epoch", StringComparison.OrdinalIgnoreCase)
                               || reason.Contains("PRODUCER_FENCED", StringComparison.Ordinal)
                               || reason.Contains("INVALID_PRODUCER_EPOCH", StringComparison.Ordinal));
}
