using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Relay.Hosting.Options;

/// <summary>
/// A sink kind whose keys are one options class, <typeparamref name="TOptions"/>, bound per sink as named
/// options (the name is the sink's name) and checked by <see cref="IValidateOptions{TOptions}"/> at start-up.
/// </summary>
public abstract class OutboxSinkFactory<TOptions> : IOutboxSinkFactory where TOptions : SinkOptions, new()
{
    public abstract string Kind { get; }

    public IEnumerable<string> Validate(SinkContext context)
    {
        try
        {
            Options(context);
            return [];
        }
        catch (OptionsValidationException e)
        {
            return e.Failures;
        }
    }

    public IOutboxSink Create(SinkContext context, string sourceName)
    {
        TOptions options;
        try
        {
            options = Options(context);
        }
        catch (OptionsValidationException e)
        {
            throw new RelayFatalException(string.Join(Environment.NewLine, e.Failures));
        }
        return Create(context, sourceName, options);
    }

    /// <summary>The strongest guarantee the kind can give; Delivery=ExactlyOnce is refused at start when it is weaker.</summary>
    public abstract DeliveryGuarantee StrongestDelivery { get; }

    public DeliveryGuarantee Delivery(SinkContext context) => Delivery(OptionsOf(context));

    public string DeliveryDependsOn(SinkContext context) => DeliveryDependsOn(OptionsOf(context));

    /// <summary>The guarantee given with these options: the strongest, unless the kind can also give a weaker one on request (Kafka).</summary>
    protected internal virtual DeliveryGuarantee Delivery(TOptions options) => StrongestDelivery;

    /// <summary>What the guarantee rests on, one sentence ending with a full stop.</summary>
    protected internal abstract string DeliveryDependsOn(TOptions options);

    /// <summary>Optional hook of <see cref="IOutboxSinkFactory"/>: a kind that can read and move committed positions overrides it.</summary>
    public virtual ISinkPositionStore? CreatePositionStore(SinkContext context) => null;

    /// <summary>The sink's validated options (throws <see cref="OptionsValidationException"/> when they are not valid).</summary>
    protected static TOptions OptionsOf(SinkContext context) => Options(context);

    /// <summary>Creates a sink for one source from the validated options.</summary>
    protected abstract IOutboxSink Create(SinkContext context, string sourceName, TOptions options);

    /// <summary>The kind's own checks, each naming the key and the fix. Unknown keys and unconvertible values are checked already.</summary>
    protected internal abstract IEnumerable<string> Validate(IConfigurationSection section, TOptions options);

    private static TOptions Options(SinkContext context) =>
        context.Services.GetRequiredService<IOptionsFactory<TOptions>>().Create(context.Name);
}
