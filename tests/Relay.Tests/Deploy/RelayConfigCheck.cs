using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Relay.Hosting;

namespace Relay.Tests.Deploy;

/// <summary>
/// Checks a configuration file the chart wrote the way Relay does at start-up: its own validation
/// (the RelayOptions validator, i.e. RelayPlan.Build over every source and sink of the built-in kinds)
/// must pass — it reports an unknown key under a source or sink (a misspelt "Slott") as an error —
/// and every key outside the sources and sinks must be one the host reads (RelayHostSettings.Read,
/// which ignores keys it does not know: they are found by recording what it reads).
/// </summary>
internal static class RelayConfigCheck
{
    /// <summary>Every key outside the sources and sinks that Relay's host reads, found by recording what it asks for.</summary>
    public static IReadOnlySet<string> HostKeys()
    {
        var source = new RecordingSource(new Dictionary<string, string?>());
        var configuration = new ConfigurationBuilder().Add(source).Build();
        RelayHostSettings.Read(configuration, []);
        return new HashSet<string>(source.Provider!.Read, StringComparer.OrdinalIgnoreCase);
    }

    public sealed record Result(IReadOnlyList<string> Errors, IReadOnlyList<string> UnknownKeys);

    public static Result Check(string json)
    {
        var data = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))
            .Build()
            .AsEnumerable()
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        var source = new RecordingSource(data);
        var configuration = new ConfigurationBuilder().Add(source).Build();

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddRelay().AddBuiltInKinds(); // as Program.cs does
        using var provider = services.BuildServiceProvider();

        var errors = new List<string>();
        RelayHostSettings.Read(configuration, errors);
        try { _ = provider.GetRequiredService<IOptions<RelayOptions>>().Value; }
        catch (OptionsValidationException e) { errors.AddRange(e.Failures); }

        var read = new HashSet<string>(source.Provider!.Read, StringComparer.OrdinalIgnoreCase);
        var unknown = new List<string>();
        foreach (var (key, value) in data)
        {
            if (value is null or "") continue; // a section (or an empty object), not a setting
            if (key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase)) continue; // the logging framework's own
            if (key.StartsWith("Relay:Sources:", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("Relay:Sinks:", StringComparison.OrdinalIgnoreCase))
                continue; // Relay's validation reports unknown keys there itself
            if (!read.Contains(key)) unknown.Add(key);
        }
        return new Result(errors, unknown);
    }

    private sealed class RecordingSource(IDictionary<string, string?> data) : IConfigurationSource
    {
        public RecordingProvider? Provider { get; private set; }
        public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider = new RecordingProvider(data);
    }

    private sealed class RecordingProvider(IDictionary<string, string?> data) : ConfigurationProvider
    {
        public ConcurrentBag<string> Read { get; } = new();

        public override void Load() => Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);

        public override bool TryGet(string key, out string? value)
        {
            Read.Add(key);
            return base.TryGet(key, out value);
        }
    }
}
