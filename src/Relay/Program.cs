using Relay.Hosting;
using Relay.Sinks.Kafka;
using Relay.Sinks.Redis;
using Relay.Sources.Postgres.Polling;
using Relay.Sources.Postgres.Replication;

// Source and sink kinds: one line each.
return await RelayCli.RunAsync(args, relay => relay
    .AddSource<PostgresReplicationSourceFactory>()
    .AddSource<PostgresPollingSourceFactory>()
    .AddSink<KafkaSinkFactory>()
    .AddSink<RedisSinkFactory>());
