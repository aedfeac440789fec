namespace Relay.Binlog.Protocol;

public enum BinlogStartKind
{
    File,
    MariaDbGtid,
    MySqlGtidSet,
}
