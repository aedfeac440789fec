using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using Relay.Routing;

namespace Relay.Sinks.Nats;

/// <summary>
/// Publishes to NATS JetStream, exactly once within the stream's duplicate window. Each message goes to the subject
/// of its topic ("&lt;topic&gt;.&lt;shard&gt;" for a sharded one) with Nats-Msg-Id = its event id. A batch is pipelined: every
/// message is sent, then every acknowledgement awaited; only when all of them succeeded is the source position written
/// to the key-value bucket with the revision this sink wrote last. A newer relay's first write moves the revision on,
/// so an older relay's next write fails: that is the fencing. A restart publishes again from the committed position,
/// and the server drops what it stored already because it remembers the ids for its duplicate window.
/// </summary>
/// <remarks>
/// Order: the server stores one connection's publishes in the order they arrive, and they are sent in batch order, so
/// a subject keeps the batch's order. The exception is a batch in which an earlier message fails and a later one is
/// stored (a connection lost mid-batch, or a stream that rejects one message and takes the next): the batch fails,
/// the retry stores the earlier one after it, and the sink logs how many were overtaken (see <see cref="Failure"/>).
/// Headers travel as NATS headers (values as UTF-8 text); the message key, which NATS messages lack, travels in the
/// "relay.key" header.
/// </remarks>
public sealed class NatsSink(NatsSinkOptions options, ILogger logger, string sectionPath = "") : IOutboxSink
{
    public const string KeyHeader = "relay.key";

    private readonly ShardMap _shards = new(options.Shards);
    private readonly HashSet<string> _checkedStreams = new(StringComparer.Ordinal);
    private NatsClient? _client;
    private string _sourceName = "";
    private string _key = "";
    private ulong _revision;

    public async Task<SourcePosition?> InitializeAsync(string sourceName, CancellationToken cancellationToken)
    {
        if (_client is not null) throw new InvalidOperationException("The sink is already initialized.");
        _sourceName = sourceName;
        _key = NatsClient.KeyOf(sourceName);
        _client = await NatsClient.ConnectAsync(options, "relay-" + sourceName, cancellationToken);
        await CheckStreamAsync(options.Stream, create: options.CreateStream, cancellationToken);

        var (position, revision, written) = await _client.ReadAsync(sourceName, cancellationToken);
        // Taking over: writing the committed position again moves the revision on, which fences every older relay.
        try
        {
            _revision = revision == 0
                ? await _client.Positions.CreateAsync(_key, NatsClient.Encode(position), NatsRawSerializer<byte[]>.Default, cancellationToken)
                : await _client.Positions.UpdateAsync(_key, NatsClient.Encode(position), revision, NatsRawSerializer<byte[]>.Default, cancellationToken);
        }
        catch (Exception e) when (e is NatsKVWrongLastRevisionException or NatsKVCreateException)
        {
            throw new SinkFencedException($"another relay wrote the position of source '{sourceName}' in bucket {options.PositionBucket} while this one took over", e);
        }

        if (written is { } at && DateTimeOffset.UtcNow - at > options.DuplicateWindow)
            logger.LogWarning(
                "Source {Source}: the last commit was {Age} ago, longer than the duplicate window {Window}: if a batch was in flight when the relay stopped, " +
                "the messages of it that reached the stream are stored twice now (consumers can drop them by the \"id\" header)",
                sourceName, (DateTimeOffset.UtcNow - at).ToString(@"d\.hh\:mm\:ss"), options.DuplicateWindow);
        logger.LogInformation("Source {Source}: NATS sink (exactly once within {Window}) took over at revision {Revision} of {Bucket}/{Key}",
            sourceName, options.DuplicateWindow, _revision, options.PositionBucket, _key);
        return position;
    }

    /// <summary>
    /// The stream must remember message ids at least as long as DuplicateWindow, or a restart could store a batch twice;
    /// a missing stream is created when allowed (see <see cref="NatsClient.StreamProblem"/>).
    /// </summary>
    private async Task CheckStreamAsync(string stream, bool create, CancellationToken cancellationToken)
    {
        var config = await _client!.StreamConfigAsync(stream, cancellationToken);
        if (config is null && create)
        {
            config = (await _client.JetStream.CreateStreamAsync(new StreamConfig(stream, options.Subjects)
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = options.DuplicateWindow,
            }, cancellationToken)).Info.Config;
            logger.LogInformation("Source {Source}: created JetStream stream {Stream} for {Subjects}, duplicate window {Window}",
                _sourceName, stream, string.Join(", ", options.Subjects), options.DuplicateWindow);
        }
        if (NatsClient.StreamProblem(stream, config, mayCreate: false, options, sectionPath) is { } problem)
            throw new RelayFatalException($"{problem.Problem} {problem.Fix}");
        _checkedStreams.Add(stream);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Call InitializeAsync first.");
        var subjects = new string[messages.Count];
        var futures = new List<NatsJSPublishConcurrentFuture>(messages.Count);
        var outcomes = new (PubAckResponse? Ack, Exception? Error)[messages.Count];
        try
        {
            // Send them all first: each call returns once its request is queued on the connection, so the server
            // receives (and a stream stores) them in batch order. A send that fails stops the rest of the batch.
            Exception? sendError = null;
            for (var i = 0; i < messages.Count && sendError is null; i++)
            {
                subjects[i] = _shards.ChannelOf(messages[i]);
                try
                {
                    futures.Add(await client.JetStream.PublishConcurrentAsync(subjects[i], messages[i].Value ?? [], NatsRawSerializer<byte[]>.Default,
                        new NatsJSPubOpts { MsgId = messages[i].EventId }, Headers(messages[i]), cancellationToken));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    sendError = e;
                }
            }
            // Then every ack of what was sent, so that nothing of this batch is still in flight when it fails.
            for (var i = 0; i < futures.Count; i++)
            {
                try
                {
                    outcomes[i] = (await futures[i].GetResponseAsync(cancellationToken), null);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    outcomes[i] = (null, e);
                }
            }
            if (sendError is not null) outcomes[futures.Count] = (null, sendError);
        }
        finally
        {
            foreach (var future in futures) await future.DisposeAsync();
        }

        var sent = Math.Min(messages.Count, futures.Count + 1);
        var duplicates = 0;
        var failed = -1;
        for (var i = 0; i < sent && failed < 0; i++)
        {
            // A duplicate is the point of the ids (this message was stored before a restart); an ack with an error is a failure.
            if (outcomes[i].Ack is { Duplicate: true }) duplicates++;
            else if (outcomes[i].Ack is not { Error: null }) failed = i;
        }
        if (failed >= 0) throw Failure(messages, subjects, outcomes, failed, sent);
        if (duplicates > 0)
            logger.LogInformation("Source {Source}: {Duplicates} of {Count} messages were stored already (a batch published again after a restart); the stream dropped them",
                _sourceName, duplicates, messages.Count);
        // A subject may belong to another stream than the configured one: its window must be long enough too.
        foreach (var (ack, _) in outcomes)
            if (ack?.Stream is { } stream && !_checkedStreams.Contains(stream)) await CheckStreamAsync(stream, create: false, cancellationToken);

        // The acks are in: the position follows. Once sent, the write is not cut short by cancellation.
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            _revision = await client.Positions.UpdateAsync(_key, NatsClient.Encode(position), _revision, NatsRawSerializer<byte[]>.Default, CancellationToken.None);
        }
        catch (NatsKVWrongLastRevisionException e)
        {
            throw new SinkFencedException(
                $"the position of source '{_sourceName}' in bucket {options.PositionBucket} is no longer at revision {_revision}: another relay took over (or `relay offsets reset` ran); " +
                "this batch's messages are de-duplicated by their ids when the other relay publishes them", e);
        }
    }

    /// <summary>
    /// The exception that fails the batch at its first failed message. Later messages of the same subject that the
    /// stream stored anyway come before the failed one for good, since the retry stores it after them and drops them
    /// as duplicates: that is logged, with how many. It takes a connection lost mid-batch (requests still buffered in
    /// the client go out on the new connection, those lost with the old one do not) or a stream that rejects one
    /// message and takes the next (one over its max_msg_size, say).
    /// </summary>
    private Exception Failure(IReadOnlyList<OutboxMessage> messages, string[] subjects, (PubAckResponse? Ack, Exception? Error)[] outcomes, int failed, int sent)
    {
        var failedSubjects = new HashSet<string>(StringComparer.Ordinal);
        var overtaken = 0;
        for (var i = failed; i < sent; i++)
        {
            if (outcomes[i].Ack is { Error: null, Duplicate: false })
            {
                if (failedSubjects.Contains(subjects[i])) overtaken++;
            }
            else if (outcomes[i].Ack is not { Duplicate: true })
            {
                failedSubjects.Add(subjects[i]);
            }
        }
        if (overtaken > 0)
            logger.LogError(
                "Source {Source}: {Overtaken} messages of the batch were stored after an earlier message of their subject failed; the retry stores that one after them, " +
                "so consumers of {Subjects} see them out of order",
                _sourceName, overtaken, string.Join(", ", failedSubjects));

        var subject = subjects[failed];
        return outcomes[failed] switch
        {
            ({ } ack, _) => new NatsJSApiException(ack.Error!),
            (_, NatsJSPublishNoResponseException or NatsNoRespondersException) => new InvalidOperationException(
                $"no JetStream stream takes subject '{subject}': add it to the subjects of stream '{options.Stream}' (StreamSubjects when the relay creates it), " +
                "or change the source's Outbox:TopicTemplate", outcomes[failed].Error),
            (_, var error) => new InvalidOperationException(
                $"publishing message {messages[failed].EventId} to subject '{subject}' failed: {error!.Message}", error),
        };
    }

    private static NatsHeaders Headers(OutboxMessage message)
    {
        var headers = new NatsHeaders();
        if (message.Key is not null) headers[KeyHeader] = Encoding.UTF8.GetString(message.Key);
        foreach (var (name, value) in message.Headers) headers[name] = Encoding.UTF8.GetString(value);
        return headers;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _client = null;
    }
}
