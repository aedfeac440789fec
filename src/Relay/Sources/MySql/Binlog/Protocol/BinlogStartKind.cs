namespace Relay.Sources.MySql.Binlog.Protocol;

internal enum BinlogStartKind
{
    File,
    MariaDbGtid,
    MySqlGtidSet,
}
