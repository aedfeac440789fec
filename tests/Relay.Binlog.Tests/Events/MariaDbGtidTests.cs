using MySqlConnector;
using Relay.Binlog.Events;
using Relay.Binlog.Gtids;

namespace Relay.Binlog.Tests.Events;

/// <summary>MariaDB's GTID, GTID_LIST, BINLOG_CHECKPOINT and ROTATE across FLUSH BINARY LOGS, on a private server.</summary>
public sealed class MariaDbGtidTests
{
    [Fact]
    public async Task Gtids_gtid_lists_and_rotations_match_what_the_server_reports()
    {
        await using var server = await MariaDbInstance.StartAsync();
        var cs = server.AdminConnectionString;
        await server.ExecuteAsync("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB");
        var capture = await BinlogCapture.StartAsync(cs, server.BinlogDirectory);

        var gtids = new List<string>();
        string startPos, stateAtFlush, finalPos;
        await using (var conn = new MySqlConnection(cs))
        {
            await conn.OpenAsync();
            startPos = await Scalar(conn, "SELECT @@gtid_binlog_pos");
            await Run(conn, "INSERT INTO d.t VALUES (1, 'one')");
            gtids.Add(await Scalar(conn, "SELECT @@last_gtid"));
            await Run(conn, "START TRANSACTION; INSERT INTO d.t VALUES (2, 'two'); INSERT INTO d.t VALUES (20, 'twenty'); COMMIT");
            gtids.Add(await Scalar(conn, "SELECT @@last_gtid"));
            await Run(conn, "ALTER TABLE d.t ADD COLUMN x INT");
            gtids.Add(await Scalar(conn, "SELECT @@last_gtid"));
            await Run(conn, "SET SESSION gtid_domain_id = 5; INSERT INTO d.t VALUES (3, 'three', 33); SET SESSION gtid_domain_id = 0");
            gtids.Add(await Scalar(conn, "SELECT @@last_gtid"));
            stateAtFlush = await Scalar(conn, "SELECT @@gtid_binlog_state");
            await Run(conn, "FLUSH BINARY LOGS");
            await Run(conn, "INSERT INTO d.t VALUES (4, 'four', 44)");
            gtids.Add(await Scalar(conn, "SELECT @@last_gtid"));
            await Run(conn, "FLUSH BINARY LOGS");
            finalPos = await Scalar(conn, "SELECT @@gtid_binlog_pos");
        }
        var events = await capture.ReadAsync(cs);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable("d", "t");
        var seen = new List<(MariaDbGtid Gtid, MariaDbGtidFlags Flags)>();
        var lists = new List<(string File, IReadOnlyList<MariaDbGtid> Gtids)>();
        var rotations = new List<(string? File, string Next)>();
        var checkpoints = new List<string>();
        var position = MariaDbGtidPosition.Parse(startPos);
        var decoded = DecodedRows.Decode(decoder, events, e =>
        {
            switch (e)
            {
                case MariaDbGtidEvent gtid:
                    seen.Add((gtid.Gtid, gtid.Flags));
                    position.Update(gtid.Gtid);
                    break;
                case MariaDbGtidListEvent list:
                    lists.Add((list.FileName!, list.Gtids));
                    break;
                case RotateEvent rotate:
                    rotations.Add((rotate.FileName, rotate.NextFileName));
                    break;
                case BinlogCheckpointEvent checkpoint:
                    checkpoints.Add(checkpoint.CheckpointFileName);
                    break;
            }
        });

        Assert.Equal(gtids, seen.Select(s => s.Gtid.ToString()));
        Assert.All(seen, s => Assert.Equal(1U, s.Gtid.ServerId));
        Assert.True(seen[0].Flags.HasFlag(MariaDbGtidFlags.Transactional), $"{seen[0].Flags}");
        Assert.True(seen[2].Flags.HasFlag(MariaDbGtidFlags.Standalone) && seen[2].Flags.HasFlag(MariaDbGtidFlags.Ddl), $"{seen[2].Flags}");
        Assert.Equal(5U, seen[3].Gtid.DomainId);
        Assert.Equal(MariaDbGtidPosition.Parse(finalPos).ToString(), position.ToString());

        // Each new file starts with the binlog state of the moment it was opened, and the file before ends naming it.
        var files = events.Select(e => e.File).Distinct().ToList();
        Assert.Equal(3, files.Count);
        Assert.Equal([(files[0], files[1]), (files[1], files[2])], rotations);
        Assert.Equal(files.Skip(1), lists.Select(l => l.File));
        Assert.Equal(MariaDbGtidPosition.Parse(stateAtFlush).ToString(), string.Join(",", lists[0].Gtids.OrderBy(g => g.DomainId)));
        Assert.Contains(lists[1].Gtids, g => g.ToString() == gtids[^1]);
        Assert.All(checkpoints, c => Assert.Contains(c, Directory.GetFiles(server.BinlogDirectory).Select(Path.GetFileName)));
        Assert.NotEmpty(checkpoints);

        // Table ids start over in each file: the rows after the flush still decode.
        Assert.Equal(["1", "2", "20", "3", "4"], decoded.Rows.Select(r => (string)r[0]!));
        Assert.Equal(["one", "two", "twenty", "three", "four"], decoded.Rows.Select(r => (string)r[1]!));
    }

    [Fact]
    public void The_documented_gtid_list_event_decodes_and_its_checksum_verifies()
    {
        // MariaDB KB, GTID_LIST_EVENT, "Example With 1 GTID, With CRC32": Gtid list [0-10124-3584], CRC32 0xb6d8f0a8.
        var gtidList = EventBytes.Hex("""
            a4 85 9e 59 a3 8c 27 00 00 2b 00 00 00 24 01 00
            00 00 00 01 00 00 00 00 00 00 00 8c 27 00 00 00
            0e 00 00 00 00 00 00 a8 f0 d8 b6
            """);
        using var decoder = new BinlogEventDecoder();
        decoder.Feed(EventBytes.Event(15, EventBytes.FormatDescriptionBody("10.2.7-MariaDB-log", 1, new Dictionary<int, byte> { [163] = 4 }, 171)));
        decoder.TryRead(out _);
        decoder.Feed(gtidList);
        Assert.True(decoder.TryRead(out var e));
        var list = Assert.IsType<MariaDbGtidListEvent>(e);
        Assert.Equal("0-10124-3584", Assert.Single(list.Gtids).ToString());
        Assert.Equal(292U, list.Header.LogPosition);
        Assert.Equal(10124U, list.Header.ServerId);

        gtidList[25] ^= 0x04;
        decoder.Feed(gtidList);
        Assert.Contains("CRC32 mismatch", Assert.Throws<BinlogFormatException>(() => decoder.TryRead(out _)).Message);
    }

    private static async Task<string> Scalar(MySqlConnection conn, string sql)
    {
        await using var cmd = new MySqlCommand(sql, conn);
        return Convert.ToString(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    private static async Task Run(MySqlConnection conn, string sql)
    {
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
