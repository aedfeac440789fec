using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Hosting;

namespace Relay.Tests.Infrastructure;

/// <summary>The services a source or sink factory finds in the host: the configuration, logging, and every built-in kind with its named options.</summary>
internal static class RelayServices
{
    public static IServiceProvider For(IConfiguration configuration, Action<ILoggingBuilder>? logging = null)
    {
        var services = new ServiceCollection().AddSingleton(configuration).AddLogging(logging ?? (_ => { }));
        new RelayBuilder(services).AddBuiltInKinds();
        return services.BuildServiceProvider();
    }

    /// <summary>A source's context over in-memory keys (full paths, e.g. "Relay:Sources:orders:Kind").</summary>
    public static SourceContext Source(IDictionary<string, string?> values, string name, Action<ILoggingBuilder>? logging = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new SourceContext(name, configuration.GetSection($"Relay:Sources:{name}"), For(configuration, logging));
    }

    /// <summary>A sink's context over in-memory keys (full paths, e.g. "Relay:Sinks:main:Kind").</summary>
    public static SinkContext Sink(IDictionary<string, string?> values, string name, Action<ILoggingBuilder>? logging = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new SinkContext(name, configuration.GetSection($"Relay:Sinks:{name}"), For(configuration, logging));
    }

    /// <summary>The validated options of a source or sink, as its factory gets them.</summary>
    public static TOptions Options<TOptions>(SourceContext context) where TOptions : class =>
        context.Services.GetRequiredService<IOptionsFactory<TOptions>>().Create(context.Name);

    public static TOptions Options<TOptions>(SinkContext context) where TOptions : class =>
        context.Services.GetRequiredService<IOptionsFactory<TOptions>>().Create(context.Name);
}
