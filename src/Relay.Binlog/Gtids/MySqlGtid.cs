using System.Globalization;

namespace Relay.Binlog.Gtids;

/// <summary>
/// One MySQL GTID: the source server's UUID, an optional tag (MySQL 8.3+, lowercase), and the transaction number.
/// Prints as "3e11fa47-71ca-11e1-9e33-c80aa9429562:23" or "3e11fa47-71ca-11e1-9e33-c80aa9429562:domain_1:23".
/// </summary>
public readonly record struct MySqlGtid(Guid Uuid, string? Tag, long Gno)
{
    public override string ToString() => Tag is null
        ? string.Create(CultureInfo.InvariantCulture, $"{Uuid:D}:{Gno}")
        : string.Create(CultureInfo.InvariantCulture, $"{Uuid:D}:{Tag}:{Gno}");
}
