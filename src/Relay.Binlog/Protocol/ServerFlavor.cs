namespace Relay.Binlog.Protocol;

/// <summary>Which server family is on the other end: they differ in GTIDs, dump commands and event types.</summary>
public enum ServerFlavor
{
    MySql,
    MariaDb,
}
