using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace Relay.Sinks.Nats;

/// <summary>
/// What the NATS sink and its position store share: the connection, the JetStream context and the position bucket.
/// A position is the key's value as UTF-8; an empty value means "none" (a reset that deletes writes it, so that
/// it bumps the revision and fences a running relay as any other write does).
/// </summary>
internal sealed partial class NatsClient : IAsyncDisposable
{
    /// <summary>The stream of a missing stream or bucket (JetStream API error code 10059).</summary>
    private const int StreamNotFound = 10059;

    private readonly NatsConnection _connection;

    private NatsClient(NatsConnection connection)
    {
        _connection = connection;
        JetStream = new NatsJSContext(connection);
    }

    public NatsJSContext JetStream { get; }

    public INatsKVStore Positions { get; private set; } = null!;

    public static async Task<NatsClient> ConnectAsync(NatsSinkOptions options, string clientName, CancellationToken cancellationToken)
    {
        var opts = NatsOpts.Default with
        {
            Url = options.Url!,
            Name = clientName,
            TlsOpts = string.IsNullOrEmpty(options.CaCertificate) ? NatsTlsOpts.Default : NatsTlsOpts.Default with { CaFile = options.CaCertificate },
            // NATS.Net reconnects by itself (a limit applies only above 0). A publish or ack that waits on a lost
            // connection still fails at its timeout, which fails the batch: the pipeline then starts over from the
            // committed position, where the duplicate window absorbs what the lost batch had stored.
        };
        var client = new NatsClient(new NatsConnection(opts));
        try
        {
            await client._connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
            client.Positions = await client.PositionBucketAsync(options.PositionBucket, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>The positions bucket, created (file storage, one revision kept) when missing.</summary>
    private async Task<INatsKVStore> PositionBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(JetStream);
        try
        {
            return await kv.GetStoreAsync(bucket, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNotFound)
        {
            return await kv.CreateStoreAsync(new NatsKVConfig(bucket) { History = 1, Storage = NatsKVStorageType.File }, cancellationToken);
        }
    }

    /// <summary>The stream's configuration, or null when there is no such stream.</summary>
    public async Task<StreamConfig?> StreamConfigAsync(string stream, CancellationToken cancellationToken)
    {
        try
        {
            return (await JetStream.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info.Config;
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// What exactly once needs of a stream, checked by the sink at start and by `relay validate --connect`: that it
    /// exists (unless the sink may create it) and remembers message ids at least DuplicateWindow, or a restart could
    /// store a batch twice. Null when the stream is fine. <paramref name="sectionPath"/> is the sink's configuration
    /// section ("Relay:Sinks:main"), to name its keys; empty when unknown.
    /// </summary>
    public static SetupProblem? StreamProblem(string stream, StreamConfig? config, bool mayCreate, NatsSinkOptions options, string sectionPath)
    {
        var wanted = options.DuplicateWindow;
        if (config is null)
            return mayCreate ? null : new SetupProblem(
                $"JetStream stream '{stream}' does not exist.",
                $"Create it with the topics' subjects and a duplicate window of at least {wanted:c}, or set {Key(sectionPath, nameof(options.CreateStream))} to true.");
        var window = config.DuplicateWindow;
        if (window >= wanted) return null;
        return new SetupProblem(
            $"JetStream stream '{stream}' remembers message ids for {window:c} (duplicate_window), less than the sink's DuplicateWindow {wanted:c}: " +
            $"a restart longer than {window:c} could store a batch twice.",
            $"Raise the stream's duplicate window to at least {wanted:c} (nats stream edit {stream} --dupe-window {wanted.TotalSeconds:0}s), " +
            $"or lower {Key(sectionPath, nameof(options.DuplicateWindow))} to {window:c} and keep every restart shorter.");
    }

    private static string Key(string sectionPath, string key) =>
        sectionPath.Length == 0 ? key : ConfigKeys.Describe(ConfigurationPath.Combine(sectionPath, key));

    /// <summary>The source's entry: its position (null for none), revision (0 when the key was never written) and when it was written.</summary>
    public async Task<(SourcePosition? Position, ulong Revision, DateTimeOffset? Written)> ReadAsync(string sourceName, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await Positions.GetEntryAsync(KeyOf(sourceName), serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken);
            var position = entry.Value is { Length: > 0 } bytes ? new SourcePosition(Encoding.UTF8.GetString(bytes)) : (SourcePosition?)null;
            return (position, entry.Revision, entry.Created);
        }
        catch (NatsKVKeyNotFoundException)
        {
            return (null, 0, null);
        }
        catch (NatsKVKeyDeletedException)
        {
            return (null, 0, null);
        }
    }

    public static byte[] Encode(SourcePosition? position) => position is { } p ? Encoding.UTF8.GetBytes(p.Value) : [];

    /// <summary>
    /// The bucket key of a source: its name when that is a valid key, else "x-" and the hex of its UTF-8 bytes (key
    /// characters are limited to letters, digits and -/_=.).
    /// </summary>
    public static string KeyOf(string sourceName) =>
        KeyName().IsMatch(sourceName) ? sourceName : "x-" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(sourceName));

    [GeneratedRegex("^[A-Za-z0-9_=-][A-Za-z0-9_=./-]*(?<!\\.)$")]
    private static partial Regex KeyName();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
