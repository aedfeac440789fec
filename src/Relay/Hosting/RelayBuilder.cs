using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Relay.Hosting.Options;
using Relay.Sources;

namespace Relay.Hosting;

/// <summary>Registers source and sink kinds, each with its named options; adding a kind is one line in <see cref="BuiltInKinds"/>.</summary>
public sealed class RelayBuilder(IServiceCollection services)
{
    public IServiceCollection Services => services;

    public RelayBuilder AddSource<TFactory>() where TFactory : class, IOutboxSourceFactory
    {
        services.TryAddSingleton<TFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutboxSourceFactory, TFactory>(sp => sp.GetRequiredService<TFactory>()));
        services.TryAddSingleton(typeof(SourceProgress<>));
        if (OptionsTypeOf(typeof(TFactory), typeof(OutboxSourceFactory<>)) is { } options)
            typeof(RelayBuilder).GetMethod(nameof(AddSourceOptions), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(typeof(TFactory), options).Invoke(null, [services]);
        return this;
    }

    public RelayBuilder AddSink<TFactory>() where TFactory : class, IOutboxSinkFactory
    {
        services.TryAddSingleton<TFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutboxSinkFactory, TFactory>(sp => sp.GetRequiredService<TFactory>()));
        if (OptionsTypeOf(typeof(TFactory), typeof(OutboxSinkFactory<>)) is { } options)
            typeof(RelayBuilder).GetMethod(nameof(AddSinkOptions), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(typeof(TFactory), options).Invoke(null, [services]);
        return this;
    }

    private static void AddSourceOptions<TFactory, TOptions>(IServiceCollection services)
        where TFactory : OutboxSourceFactory<TOptions> where TOptions : SourceOptions, new()
    {
        services.AddOptions();
        services.TryAddSingleton(sp => new SourceOptionsSetup<TOptions>(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<TFactory>()));
        services.AddSingleton<IConfigureOptions<TOptions>>(sp => sp.GetRequiredService<SourceOptionsSetup<TOptions>>());
        services.AddSingleton<IValidateOptions<TOptions>>(sp => sp.GetRequiredService<SourceOptionsSetup<TOptions>>());
    }

    private static void AddSinkOptions<TFactory, TOptions>(IServiceCollection services)
        where TFactory : OutboxSinkFactory<TOptions> where TOptions : SinkOptions, new()
    {
        services.AddOptions();
        services.TryAddSingleton(sp => new SinkOptionsSetup<TOptions>(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<TFactory>()));
        services.AddSingleton<IConfigureOptions<TOptions>>(sp => sp.GetRequiredService<SinkOptionsSetup<TOptions>>());
        services.AddSingleton<IValidateOptions<TOptions>>(sp => sp.GetRequiredService<SinkOptionsSetup<TOptions>>());
    }

    /// <summary>TOptions of a factory deriving from <paramref name="generic"/>&lt;TOptions&gt;, or null for a factory that binds its own keys.</summary>
    private static Type? OptionsTypeOf(Type factory, Type generic)
    {
        for (var type = factory; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == generic) return type.GetGenericArguments()[0];
        return null;
    }
}
