namespace Relay.Bench.Infrastructure;

/// <summary>The relay's source kinds, by the Kind value the relay's configuration takes.</summary>
public enum SourceKind
{
    PostgresReplication,
    PostgresPolling,
    MySqlBinlog,
    MySqlPolling,
}
