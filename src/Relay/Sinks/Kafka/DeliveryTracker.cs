using Confluent.Kafka;

namespace Relay.Sinks.Kafka;

/// <summary>
/// Counts the delivery reports of one batch, so the whole batch is produced without awaiting each
/// message, and the first failure is kept to explain the batch's failure.
/// </summary>
internal sealed class DeliveryTracker
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private Error? _firstError;
    private string? _firstFailedTopic;

    public DeliveryTracker(int expected)
    {
        _pending = expected;
        Report = OnReport;
        if (expected == 0) _done.TrySetResult();
    }

    /// <summary>The delivery handler to pass to Produce; runs on librdkafka's poll thread.</summary>
    public Action<DeliveryReport<byte[], byte[]>> Report { get; }

    private void OnReport(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError && Interlocked.CompareExchange(ref _firstError, report.Error, null) is null)
            _firstFailedTopic = report.Topic;
        if (Interlocked.Decrement(ref _pending) == 0) _done.TrySetResult();
    }

    /// <summary>Waits for every report; throws a <see cref="KafkaException"/> with the first delivery error.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _done.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Kafka did not confirm {Volatile.Read(ref _pending)} message(s) within {timeout}.");
        }
        if (_firstError is { } error)
            throw new KafkaException(new Error(error.Code, $"Delivery to {_firstFailedTopic} failed: {error.Reason}", error.IsFatal));
    }
}
