using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;
using Relay.Binlog.Protocol;

namespace Relay.Sources.MySql.Binlog;

/// <summary>
/// Kind "MySqlBinlog": tails the outbox table through the binlog of MySQL 8 or MariaDB, as a replica.
/// Keys beside Kind: ConnectionString (required), ServerId, HeartbeatInterval (00:00:05), StatusInterval (00:00:10).
/// </summary>
public sealed class MySqlBinlogSourceFactory : OutboxSourceFactory<MySqlBinlogOptions>
{
    public const string KindName = "MySqlBinlog";

    public override string Kind => KindName;

    protected internal override void Configure(IConfigurationSection section, MySqlBinlogOptions options)
    {
        options.ApplyDefaults(section);
        if (options.ServerId == 0) options.ServerId = MySqlBinlogOptions.DefaultServerId(section.Key);
    }

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, MySqlBinlogOptions options)
    {
        foreach (var problem in options.ValidateConnection(section, "REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR)"))
            yield return problem;
        if (options.ServerId > int.MaxValue)
            yield return $"{ConfigKeys.Describe(section, "ServerId")} is {options.ServerId}. Set it between 1 and {int.MaxValue}, unique among the server, its replicas and every binlog reader.";
        if (options.HeartbeatInterval < TimeSpan.FromMilliseconds(100) || options.HeartbeatInterval > TimeSpan.FromMinutes(10))
            yield return $"{ConfigKeys.Describe(section, "HeartbeatInterval")} is {options.HeartbeatInterval}. Set it between 00:00:00.1 and 00:10:00 (default 00:00:05).";
        if (options.StatusInterval < TimeSpan.FromMilliseconds(10) || options.StatusInterval > TimeSpan.FromHours(1))
            yield return $"{ConfigKeys.Describe(section, "StatusInterval")} is {options.StatusInterval}. Set it between 00:00:00.010 and 01:00:00 (default 00:00:10).";
    }

    protected override IOutboxSource Create(SourceContext context, MySqlBinlogOptions options)
    {
        MySqlAuthentication.EnsureRegistered();
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<MySqlBinlogSource>() ?? (ILogger)NullLogger.Instance;
        return new MySqlBinlogSource(context.Name, options, context.Section, context.Services.GetRequiredService<SourceProgress<BinlogPosition>>(), logger);
    }

    public override ISourceLagProbe? CreateLagProbe(SourceContext context)
    {
        MySqlAuthentication.EnsureRegistered();
        return new BinlogLagProbe(context.Name, OptionsOf(context), context.Services.GetRequiredService<SourceProgress<BinlogPosition>>());
    }

    public override ISourceSetup? CreateSetup(SourceContext context) => new BinlogSourceSetup(context.Name, OptionsOf(context), context.Section);
}
