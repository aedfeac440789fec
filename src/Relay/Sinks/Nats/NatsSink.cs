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
/// of its topic ("&lt;topic&gt;.&lt;shard&gt;" for a sharded one) with Nats-Msg-Id = its event id, and the sink waits for
/// each acknowledgement in order; after the batch's acks the source position is written to the key-value bucket with
/// the revision this sink wrote last. A newer relay's first write moves the revision on, so an older relay's next
/// write fails: that is the fencing. A restart publishes again from the committed position, and the server drops
/// what it stored already because it remembers the ids for its duplicate window.
/// </summary>
/// <remarks>
/// One acknowledgement at a time: with several in flight, a rejected message followed by an accepted one of the same
/// key would be stored out of order after the retry. Headers travel as NATS headers (values as UTF-8 text); the
/// message key, which NATS messages lack, travels in the "relay.key" header.
/// </remarks>
public sealed class NatsSink(NatsSinkOptions options, ILogger logger) : IOutboxSink
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
    /// a missing stream is created when allowed.
    /// </summary>
    private async Task CheckStreamAsync(string stream, bool create, CancellationToken cancellationToken)
    {
        var js = _client!.JetStream;
        StreamConfig config;
        try
        {
            config = (await js.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info.Config;
        }
        catch (NatsJSApiException e) when (NatsClient.IsNotFound(e) && create)
        {
            config = (await js.CreateStreamAsync(new StreamConfig(stream, options.Subjects)
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = options.DuplicateWindow,
            }, cancellationToken)).Info.Config;
            logger.LogInformation("Source {Source}: created JetStream stream {Stream} for {Subjects}, duplicate window {Window}",
                _sourceName, stream, string.Join(", ", options.Subjects), options.DuplicateWindow);
        }
        catch (NatsJSApiException e) when (NatsClient.IsNotFound(e))
        {
            throw new RelayFatalException(
                $"JetStream stream '{stream}' does not exist. Create it with the topics' subjects and a duplicate window of at least {options.DuplicateWindow:c}, or set CreateStream to true.");
        }
        var window = config.DuplicateWindow;
        if (window < options.DuplicateWindow)
            throw new RelayFatalException(
                $"JetStream stream '{stream}' remembers message ids for {window:c} (duplicate_window), less than the sink's DuplicateWindow {options.DuplicateWindow:c}: " +
                $"a restart longer than {window:c} could store a batch twice. Raise the stream's duplicate window (nats stream edit {stream} --dupe-window {options.DuplicateWindow.TotalSeconds:0}s), " +
                "or lower DuplicateWindow to what the stream gives and keep restarts shorter.");
        _checkedStreams.Add(stream);
    }

    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, SourcePosition position, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Call InitializeAsync first.");
        var duplicates = 0;
        foreach (var message in messages)
        {
            var subject = _shards.ChannelOf(message);
            PubAckResponse ack;
            try
            {
                ack = await client.JetStream.PublishAsync(subject, message.Value ?? [], NatsRawSerializer<byte[]>.Default,
                    new NatsJSPubOpts { MsgId = message.EventId }, Headers(message), cancellationToken);
            }
            catch (Exception e) when (e is NatsJSPublishNoResponseException or NatsNoRespondersException)
            {
                throw new InvalidOperationException(
                    $"no JetStream stream takes subject '{subject}': add it to the subjects of stream '{options.Stream}' (StreamSubjects when the relay creates it), " +
                    "or change the source's Outbox:TopicTemplate", e);
            }
            // A duplicate is the point of the ids (this message was stored before a restart); EnsureSuccess would throw on it.
            if (ack.Duplicate) duplicates++;
            else ack.EnsureSuccess();
            // A subject may belong to another stream than the configured one: its window must be long enough too.
            if (ack.Stream is { } stream && !_checkedStreams.Contains(stream)) await CheckStreamAsync(stream, create: false, cancellationToken);
        }
        if (duplicates > 0)
            logger.LogInformation("Source {Source}: {Duplicates} of {Count} messages were stored already (a batch published again after a restart); the stream dropped them",
                _sourceName, duplicates, messages.Count);

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
