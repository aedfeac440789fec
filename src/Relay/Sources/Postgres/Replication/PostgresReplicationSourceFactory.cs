using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Hosting.Options;

namespace Relay.Sources.Postgres.Replication;

/// <summary>Kind "PostgresReplication": tails the outbox table through a logical replication slot (pgoutput).</summary>
public sealed class PostgresReplicationSourceFactory : OutboxSourceFactory<PostgresReplicationOptions>
{
    public const string KindName = "PostgresReplication";

    public override string Kind => KindName;

    protected internal override void Configure(IConfigurationSection section, PostgresReplicationOptions options)
    {
        options.ApplyDefaults();
        if (string.IsNullOrEmpty(options.Slot)) options.Slot = PostgresReplicationOptions.DefaultSlotName(section.Key);
        if (string.IsNullOrEmpty(options.Publication)) options.Publication = options.Slot;
    }

    protected internal override IEnumerable<string> Validate(IConfigurationSection section, PostgresReplicationOptions options)
    {
        foreach (var problem in options.ValidateConnection(section, "LOGIN and REPLICATION")) yield return problem;
        if (!PostgresReplicationOptions.IsSimpleName(options.Slot))
            yield return $"{ConfigKeys.Describe(section, "Slot")} is '{options.Slot}'. A replication slot name may only contain lower-case letters, " +
                         $"digits and '_', at most {PostgresReplicationOptions.MaxNameLength} characters; leave the key out for the default '{PostgresReplicationOptions.DefaultSlotName(section.Key)}'.";
        if (!PostgresReplicationOptions.IsSimpleName(options.Publication))
            yield return $"{ConfigKeys.Describe(section, "Publication")} is '{options.Publication}'. Use lower-case letters, digits and '_', " +
                         $"at most {PostgresReplicationOptions.MaxNameLength} characters; leave the key out to use the slot name.";
        if (options.StatusInterval < TimeSpan.FromMilliseconds(10) || options.StatusInterval > TimeSpan.FromHours(1))
            yield return $"{ConfigKeys.Describe(section, "StatusInterval")} is {options.StatusInterval}. Set it to a time span between 00:00:00.010 and 01:00:00 " +
                         "(hh:mm:ss, default 00:00:10).";
    }

    protected override IOutboxSource Create(SourceContext context, PostgresReplicationOptions options)
    {
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<PostgresReplicationSource>()
                     ?? NullLogger<PostgresReplicationSource>.Instance;
        return new PostgresReplicationSource(context.Name, options, context.Section, logger);
    }

    public override ISourceLagProbe? CreateLagProbe(SourceContext context) => ReplicationLagProbe.Create(context);

    public override ISourceSetup? CreateSetup(SourceContext context) => new ReplicationSourceSetup(context.Name, OptionsOf(context));
}
