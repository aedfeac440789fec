using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;
using Relay.Sources.Polling;

namespace Relay.Sources.Postgres.Polling;

/// <summary>
/// Kind "PostgresPolling": reads an outbox table by polling, for databases where logical replication
/// is not available. Keys beside Kind: ConnectionString (required), OrderColumn (seq), PollInterval
/// (00:00:00.2), AfterPublish (Delete or Mark), MarkColumn (published_at), MaxBatchRows (5000).
/// </summary>
public sealed class PostgresPollingSourceFactory : OutboxSourceFactory<PostgresPollingOptions>
{
    public const string KindName = "PostgresPolling";

    public override string Kind => KindName;

    protected internal override void Configure(IConfigurationSection section, PostgresPollingOptions options)
    {
        options.ApplyDefaults();
        options.TraceParentRequired = section.GetSection("Outbox")["TraceParentColumn"] is not null;
    }

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, PostgresPollingOptions options) =>
        options.ValidateConnection(section, "LOGIN, SELECT and DELETE (or UPDATE) on the outbox")
            .Concat(PollingOptionsChecks.Validate(section, options, "timestamptz"));

    protected override IOutboxSource Create(SourceContext context, PostgresPollingOptions options)
    {
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<PollingSource>() ?? (ILogger)NullLogger.Instance;
        return new PollingSource(context.Name, options, new PostgresPollingDialect(context.Name, options),
            new PostgresLease(options.ConnectionString, context.Name, options.Lease, logger), context.Section, logger);
    }

    public override ISourceLagProbe? CreateLagProbe(SourceContext context)
    {
        var options = OptionsOf(context);
        return new PollingLagProbe(options, new PostgresPollingDialect(context.Name, options));
    }

    public override ISourceSetup? CreateSetup(SourceContext context) => new PostgresPollingSourceSetup(context.Name, OptionsOf(context), context.Section);
}
