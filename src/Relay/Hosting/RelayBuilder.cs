using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Relay.Hosting;

/// <summary>Registers source and sink kinds; adding one is a single line here or in the host.</summary>
public sealed class RelayBuilder(IServiceCollection services)
{
    public IServiceCollection Services => services;

    public RelayBuilder AddSource<TFactory>() where TFactory : class, IOutboxSourceFactory
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutboxSourceFactory, TFactory>());
        return this;
    }

    public RelayBuilder AddSink<TFactory>() where TFactory : class, IOutboxSinkFactory
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutboxSinkFactory, TFactory>());
        return this;
    }
}
