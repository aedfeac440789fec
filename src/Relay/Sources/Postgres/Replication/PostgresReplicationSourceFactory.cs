using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Relay.Sources.Postgres.Replication;

/// <summary>Kind "PostgresReplication": tails the outbox table through a logical replication slot (pgoutput).</summary>
public sealed class PostgresReplicationSourceFactory : IOutboxSourceFactory
{
    public const string KindName = "PostgresReplication";

    public string Kind => KindName;

    public IEnumerable<string> Validate(SourceContext context)
    {
        var errors = new List<string>();
        PostgresReplicationOptions.Read(context, errors);
        return errors;
    }

    public IOutboxSource Create(SourceContext context)
    {
        var errors = new List<string>();
        var options = PostgresReplicationOptions.Read(context, errors)
                      ?? throw new RelayFatalException(string.Join(Environment.NewLine, errors));
        var logger = context.Services.GetService<ILoggerFactory>()?.CreateLogger<PostgresReplicationSource>()
                     ?? NullLogger<PostgresReplicationSource>.Instance;
        return new PostgresReplicationSource(context.Name, options, context.Section, logger);
    }

    public ISourceLagProbe? CreateLagProbe(SourceContext context) => ReplicationLagProbe.Create(context);
}
