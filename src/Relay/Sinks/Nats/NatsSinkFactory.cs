using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;

namespace Relay.Sinks.Nats;

/// <summary>
/// The "Nats" sink kind: NATS JetStream, exactly once within the stream's duplicate window. Keys: Url (required),
/// Stream, StreamSubjects, CreateStream, DuplicateWindow, PositionBucket, CaCertificate, Shards.
/// </summary>
public sealed partial class NatsSinkFactory : OutboxSinkFactory<NatsSinkOptions>
{
    public override string Kind => "Nats";

    public override DeliveryGuarantee StrongestDelivery => DeliveryGuarantee.ExactlyOnce;

    protected internal override string DeliveryDependsOn(NatsSinkOptions options) =>
        $"the stream's duplicate window ({options.DuplicateWindow:c} asked for, checked at start) outlasting every restart: each message carries " +
        "Nats-Msg-Id = its event id and a restart publishes again from the committed position; the position's key-value revision fences older relays.";

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, NatsSinkOptions options)
    {
        string Key(string key) => ConfigKeys.Describe(section, key);
        if (string.IsNullOrWhiteSpace(options.Url))
            yield return $"{Key("Url")} is missing. Set it to the server, e.g. nats://127.0.0.1:4222.";
        else if (!Uri.TryCreate(options.Url.Split(',')[0].Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            yield return $"{Key("Url")} is not a NATS URL. Use nats://host:4222 (tls://host:4222 for TLS).";
        if (!StreamName().IsMatch(options.Stream))
            yield return $"{Key("Stream")} is '{options.Stream}', not a valid stream name. Use letters, digits, '-' and '_' (default {NatsSinkOptions.DefaultStream}).";
        if (options.Subjects.Length == 0)
            yield return $"{Key("StreamSubjects")} is empty. List the subjects of the stream, comma-separated (default {NatsSinkOptions.DefaultStreamSubjects}).";
        if (options.DuplicateWindow < TimeSpan.FromSeconds(1))
            yield return $"{Key("DuplicateWindow")} is {options.DuplicateWindow:c}. Set it to at least 00:00:01, longer than any restart of the relay (default 00:02:00).";
        if (!BucketName().IsMatch(options.PositionBucket))
            yield return $"{Key("PositionBucket")} is '{options.PositionBucket}', not a valid bucket name. Use letters, digits, '-' and '_' (default {NatsSinkOptions.DefaultPositionBucket}).";
        if (!string.IsNullOrEmpty(options.CaCertificate) && !File.Exists(options.CaCertificate))
            yield return $"{Key("CaCertificate")} names '{options.CaCertificate}', which does not exist. Give the path of a PEM file readable by the relay.";
    }

    public override ISinkPositionStore? CreatePositionStore(SinkContext context) => new NatsPositionStore(OptionsOf(context), context.Section.Path);

    protected override IOutboxSink Create(SinkContext context, string sourceName, NatsSinkOptions options) =>
        new NatsSink(options, (context.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger($"Relay.Sinks.Nats.{context.Name}"), context.Section.Path);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex StreamName();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex BucketName();
}
