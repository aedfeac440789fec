using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;
using Relay.Binlog.Protocol;
using Relay.Sources.Polling;

namespace Relay.Sources.MySql.Polling;

/// <summary>
/// Kind "MySqlPolling": reads an outbox table on MySQL 8 or MariaDB by polling. Keys beside Kind: ConnectionString
/// (required), OrderColumn (seq), PollInterval (00:00:00.2), AfterPublish (Delete or Mark), MarkColumn (published_at),
/// TimestampColumn (none).
/// </summary>
public sealed class MySqlPollingSourceFactory : OutboxSourceFactory<MySqlPollingOptions>
{
    public const string KindName = "MySqlPolling";

    public override string Kind => KindName;

    protected internal override void Configure(IConfigurationSection section, MySqlPollingOptions options)
    {
        options.ApplyDefaults(section);
        options.TraceParentRequired = section.GetSection("Outbox")["TraceParentColumn"] is not null;
    }

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, MySqlPollingOptions options) =>
        options.ValidateConnection(section, "SELECT, UPDATE and DELETE on the outbox")
            .Concat(PollingOptionsChecks.Validate(section, options, "DATETIME(6)"));

    protected override IOutboxSource Create(SourceContext context, MySqlPollingOptions options)
    {
        MySqlAuthentication.EnsureRegistered(); // ed25519 logins for MySqlConnector
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<PollingSource>() ?? (ILogger)NullLogger.Instance;
        return new PollingSource(context.Name, options, new MySqlPollingDialect(context.Name, options),
            new MySqlLease(options.ConnectionString, context.Name, options.Lease, logger), context.Section, logger);
    }

    public override ISourceLagProbe? CreateLagProbe(SourceContext context)
    {
        MySqlAuthentication.EnsureRegistered();
        var options = OptionsOf(context);
        return new PollingLagProbe(options, new MySqlPollingDialect(context.Name, options));
    }

    public override ISourceSetup? CreateSetup(SourceContext context) => new MySqlPollingSourceSetup(context.Name, OptionsOf(context), context.Section);
}
