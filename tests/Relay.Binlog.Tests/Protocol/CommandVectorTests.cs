using System.Text;
using Relay.Binlog.Protocol;

namespace Relay.Binlog.Tests.Protocol;

/// <summary>Replication commands as framed on the wire, against byte vectors from the protocol documentation.</summary>
public class CommandVectorTests
{
    [Fact]
    public async Task COM_BINLOG_DUMP_matches_the_MariaDB_documentation_example()
    {
        // mariadb.com/kb/en/com_binlog_dump/ "Example of COM_BINLOG_DUMP": position 1588, flags 2
        // (BINLOG_SEND_ANNOTATE_ROWS_EVENT), server id 10101, file mysql-bin.000034.
        byte[] documented = Convert.FromHexString(
            "1b000000" + "12" + "34060000" + "0200" + "75270000" + "6d7973716c2d62696e2e303030303334");
        Assert.Equal(documented, await FrameAsync(w => ComBinlogDump.Write(w, 1588, ComBinlogDump.SendAnnotateRows, 10101, "mysql-bin.000034")));
    }

    [Fact]
    public async Task COM_REGISTER_SLAVE_matches_the_MariaDB_documentation_example()
    {
        // mariadb.com/kb/en/com_register_slave/ "Example of COM_REGISTER_SLAVE": server id 10101,
        // report-host slave_n_1, no user or password, report-port 23241, rank 0, master id 0.
        byte[] documented = Convert.FromHexString(
            "1b000000" + "15" + "75270000" + "09" + "736c6176655f6e5f31" + "00" + "00" + "c95a" + "00000000" + "00000000");
        Assert.Equal(documented, await FrameAsync(w => ComRegisterSlave.Write(w, 10101, "slave_n_1", "", "", 23241)));
    }

    /// <summary>
    /// dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump.html, "COM_BINLOG_DUMP_GTID Payload":
    /// int&lt;1&gt; 0x1e, int&lt;2&gt; flags, int&lt;4&gt; server-id, int&lt;4&gt; filename length, string binlog-filename,
    /// int&lt;8&gt; binlog-pos, int&lt;4&gt; gtid-data-length, gtid-data. Flags from the internals page
    /// (dev.mysql.com/doc/internals/en/com-binlog-dump-gtid.html): 0x01 NON_BLOCK, 0x02 THROUGH_POSITION, 0x04 THROUGH_GTID.
    /// The GTID data is 3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5 in the server's encoding (n_sids u64, SID, n_intervals
    /// u64, start u64, end+1 u64), opaque to the command.
    /// </summary>
    internal static readonly byte[] DumpGtidVector = Convert.FromHexString(
        "47000000" +                         // payload length 71, sequence 0
        "1e" +                               // COM_BINLOG_DUMP_GTID
        "0400" +                             // flags: BINLOG_THROUGH_GTID
        "15cd5b07" +                         // server id 123456789
        "00000000" +                         // binlog-filename length 0: the server finds the file from the set
        "0400000000000000" +                 // binlog-pos 4
        "30000000" +                         // gtid-data length 48
        "0100000000000000" +                 // n_sids 1
        "3e11fa4771ca11e19e33c80aa9429562" + // SID
        "0100000000000000" +                 // n_intervals 1
        "0100000000000000" +                 // start 1
        "0600000000000000");                 // end 6 (exclusive)

    internal static ReadOnlyMemory<byte> DumpGtidSet => DumpGtidVector.AsMemory(4 + 1 + 2 + 4 + 4 + 8 + 4);

    [Fact]
    public async Task COM_BINLOG_DUMP_GTID_matches_the_MySQL_documented_layout()
    {
        Assert.Equal(DumpGtidVector, await FrameAsync(w =>
            ComBinlogDumpGtid.Write(w, ComBinlogDumpGtid.ThroughGtid, 123456789, "", 4, DumpGtidSet.Span)));

        // With a file name: the length prefix counts its bytes.
        var named = await FrameAsync(w => ComBinlogDumpGtid.Write(w, 0, 1, "binlog.000007", 1234, DumpGtidSet.Span));
        Assert.Equal(Convert.FromHexString("0d000000"), named[11..15]);
        Assert.Equal("binlog.000007", Encoding.ASCII.GetString(named, 15, 13));
        Assert.Equal(Convert.FromHexString("d204000000000000"), named[28..36]);
    }

    [Fact]
    public async Task COM_QUERY_is_the_command_byte_and_the_UTF8_text()
    {
        // dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query.html: int<1> 0x03, string<EOF> query.
        Assert.Equal(Convert.FromHexString("0b00000003" + "53454c45435420c3a931"), await FrameAsync(w => ComQuery.Write(w, "SELECT é1")));
    }

    [Fact]
    public void HandshakeV10_parses_the_documented_fields_and_detects_the_flavor()
    {
        var mysql = HandshakeV10.Parse(CachingSha2PasswordTests.Handshake(ssl: true));
        Assert.Equal("8.0.36", mysql.ServerVersion);
        Assert.Equal(ServerFlavor.MySql, mysql.Flavor);
        Assert.Equal(42u, mysql.ConnectionId);
        Assert.Equal(CachingSha2PasswordTests.Nonce, mysql.AuthPluginData);
        Assert.Equal("caching_sha2_password", mysql.AuthPluginName);
        Assert.True(mysql.Capabilities.HasFlag(CapabilityFlags.Ssl | CapabilityFlags.PluginAuth | CapabilityFlags.Protocol41));

        var mariadb = HandshakeV10.Parse(CachingSha2PasswordTests.Handshake(ssl: false, "mysql_native_password", "5.5.5-10.11.19-MariaDB-0+deb12u1-log"));
        Assert.Equal(ServerFlavor.MariaDb, mariadb.Flavor);
        Assert.False(mariadb.Capabilities.HasFlag(CapabilityFlags.Ssl));

        Assert.Throws<WireProtocolException>(() => HandshakeV10.Parse([9, .. "4.0"u8, 0]));
        Assert.Throws<WireProtocolException>(() => HandshakeV10.Parse(CachingSha2PasswordTests.Handshake(ssl: false)[..20]));
    }

    private static async Task<byte[]> FrameAsync(Action<PacketWriter> write)
    {
        using var writer = new PacketWriter();
        write(writer);
        var wire = new MemoryStream();
        await using var packets = new PacketStream(wire);
        await packets.WritePacketAsync(writer.Payload, CancellationToken.None);
        return wire.ToArray();
    }
}
