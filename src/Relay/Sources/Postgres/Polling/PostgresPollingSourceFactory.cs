using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// Kind "PostgresPolling": reads an outbox table by polling, for databases where logical replication
/// is not available. Keys beside Kind: ConnectionString (required), OrderColumn (seq), PollInterval
/// (00:00:00.2), AfterPublish (Delete or Mark), MarkColumn (published_at), MaxBatchRows (1000).
/// </summary>
public sealed class PostgresPollingSourceFactory : IOutboxSourceFactory
{
    public const string KindName = "PostgresPolling";

    public string Kind => KindName;

    public IEnumerable<string> Validate(SourceContext context)
    {
        var errors = new List<string>();
        PostgresPollingOptions.Parse(context, errors);
        return errors;
    }

    public IOutboxSource Create(SourceContext context)
    {
        var errors = new List<string>();
        var options = PostgresPollingOptions.Parse(context, errors)
                      ?? throw new RelayFatalException(string.Join(Environment.NewLine, errors));
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<PostgresPollingSource>()
                     ?? (ILogger)NullLogger.Instance;
        return new PostgresPollingSource(context.Name, options, context.Outbox, context.Section, logger);
    }

    public ISourceLagProbe? CreateLagProbe(SourceContext context) => PollingLagProbe.Create(context);
}
