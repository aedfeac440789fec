using Relay.Sinks.Kafka;
using Relay.Sinks.Nats;
using Relay.Sinks.RabbitMq;
using Relay.Sinks.Redis;
using Relay.Sources.MySql.Binlog;
using Relay.Sources.MySql.Polling;
using Relay.Sources.Postgres.Polling;
using Relay.Sources.Postgres.Replication;

namespace Relay.Hosting;

/// <summary>The source and sink kinds Relay ships with: a new kind is one line here.</summary>
public static class BuiltInKinds
{
    public static RelayBuilder AddBuiltInKinds(this RelayBuilder relay) => relay
        .AddSource<PostgresReplicationSourceFactory>()
        .AddSource<PostgresPollingSourceFactory>()
        .AddSource<MySqlBinlogSourceFactory>()
        .AddSource<MySqlPollingSourceFactory>()
        .AddSink<KafkaSinkFactory>()
        .AddSink<RedisSinkFactory>()
        .AddSink<NatsSinkFactory>()
        .AddSink<RabbitMqSinkFactory>();
}
