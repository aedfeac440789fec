using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Relay.Hosting.Options;

/// <summary>
/// A source kind whose keys are one options class, <typeparamref name="TOptions"/>, bound per source as named
/// options (the name is the source's name) and checked by <see cref="IValidateOptions{TOptions}"/> at start-up.
/// A kind supplies its defaults that depend on the section, its own checks, and how to create the source.
/// </summary>
public abstract class OutboxSourceFactory<TOptions> : IOutboxSourceFactory where TOptions : SourceOptions, new()
{
    public abstract string Kind { get; }

    public IEnumerable<string> Validate(SourceContext context)
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

    public IOutboxSource Create(SourceContext context)
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
        return Create(context, options);
    }

    /// <summary>Optional hook of <see cref="IOutboxSourceFactory"/>: a kind that can measure its lag overrides it.</summary>
    public virtual ISourceLagProbe? CreateLagProbe(SourceContext context) => null;

    /// <summary>Optional hook of <see cref="IOutboxSourceFactory"/>: a kind with checks and setup DDL overrides it.</summary>
    public virtual ISourceSetup? CreateSetup(SourceContext context) => null;

    /// <summary>The source's validated options (throws <see cref="OptionsValidationException"/> when they are not valid).</summary>
    protected static TOptions OptionsOf(SourceContext context) => Options(context);

    /// <summary>Creates a source from its validated options.</summary>
    protected abstract IOutboxSource Create(SourceContext context, TOptions options);

    /// <summary>After binding: defaults that depend on the source's name or on which keys were given.</summary>
    protected internal virtual void Configure(IConfigurationSection section, TOptions options)
    {
    }

    /// <summary>The kind's own checks, each naming the key and the fix. Unknown keys, unconvertible values and the keys every source has are checked already.</summary>
    protected internal abstract IEnumerable<string> Validate(IConfigurationSection section, TOptions options);

    private static TOptions Options(SourceContext context) =>
        context.Services.GetRequiredService<IOptionsFactory<TOptions>>().Create(context.Name);
}
