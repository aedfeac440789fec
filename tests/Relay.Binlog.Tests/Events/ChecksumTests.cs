using System.Buffers.Binary;
using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>The FORMAT_DESCRIPTION and the CRC32 of every event: verified, and a corrupted byte named by file and position.</summary>
public sealed class ChecksumTests
{
    [Fact]
    public async Task The_format_description_describes_the_server_and_every_event_checksum_verifies()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync("INSERT INTO t VALUES (1, 'one'), (2, REPEAT('two', 1000)); ALTER TABLE t ADD COLUMN x INT");
        var events = await capture.ReadAsync(db.ConnectionString);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "t");
        var decoded = DecodedRows.Decode(decoder, events);

        var fde = decoded.FormatDescription!;
        Assert.Equal(await db.ScalarAsync<string>("SELECT VERSION()"), fde.ServerVersion);
        Assert.Equal(4, fde.BinlogVersion);
        Assert.True(fde.IsMariaDb);
        Assert.Equal(await db.ScalarAsync<string>("SELECT @@binlog_checksum") == "CRC32" ? BinlogChecksum.Crc32 : BinlogChecksum.None, fde.Checksum);
        Assert.Equal(events.Count, decoded.Events.Count);
        Assert.Equal(2, decoded.Rows.Count);
        Assert.Contains(decoded.Statements, s => s.StartsWith("ALTER TABLE t ADD COLUMN x", StringComparison.Ordinal));
        // Each event's position is its own: log_pos minus its size, as SHOW BINLOG EVENTS lists them.
        var file = events[^1].File;
        var listed = await ListedPositionsAsync(db.ConnectionString, file, file == capture.FromFile ? capture.FromPosition : 4);
        var positions = decoded.Events.Where(e => e.File == file && e.Type != BinlogEventType.FormatDescription).Select(e => e.Position).ToList();
        Assert.NotEmpty(positions);
        Assert.All(positions, p => Assert.Contains(p, listed));
    }

    [Fact]
    public async Task A_corrupted_byte_fails_with_the_event_type_file_and_position()
    {
        await using var db = await MySqlDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)");
        var capture = await BinlogCapture.StartAsync(db.ConnectionString);
        await db.ExecuteAsync("INSERT INTO t VALUES (1, 'a value to corrupt')");
        var events = await capture.ReadAsync(db.ConnectionString);
        var index = events.FindLastIndex(e => e.Event.Span[4] == (byte)BinlogEventType.WriteRowsV1);
        var original = events[index].Event.ToArray();
        var corrupted = original.ToArray();
        corrupted[^10] ^= 0x01;
        events[index] = (events[index].File, corrupted);

        using var decoder = new BinlogEventDecoder();
        decoder.AddTable(db.Name, "t");
        var error = Assert.Throws<BinlogFormatException>(() => DecodedRows.Decode(decoder, events));

        var end = BinaryPrimitives.ReadUInt32LittleEndian(original.AsSpan(13));
        Assert.Equal(BinlogEventType.WriteRowsV1, error.EventType);
        Assert.Equal(events[index].File, error.FileName);
        Assert.Equal(end - original.Length, error.Position);
        Assert.Contains("CRC32 mismatch", error.Message);
        Assert.Contains($"{events[index].File}:{end - original.Length}", error.Message);
    }

    [Fact]
    public void The_format_description_of_an_open_file_verifies_with_its_in_use_flag_cleared()
    {
        // Servers set LOG_EVENT_BINLOG_IN_USE_F (0x1) in the open file's FORMAT_DESCRIPTION after computing its CRC32.
        var body = EventBytes.FormatDescriptionBody("8.4.3", 1, EventBytes.MySql8PostHeaders);
        var fde = EventBytes.Event(15, body, logPosition: 4 + 19 + (uint)body.Length + 4);
        fde[17] |= 0x01;
        using var decoder = new BinlogEventDecoder();
        decoder.Feed(fde);
        Assert.True(decoder.TryRead(out var e));
        var description = Assert.IsType<FormatDescriptionEvent>(e);
        Assert.Equal("8.4.3", description.ServerVersion);
        Assert.Equal(BinlogChecksum.Crc32, description.Checksum);
        Assert.False(description.IsMariaDb);
        Assert.Equal(10, description.PostHeaderLength(BinlogEventType.WriteRowsV2, 0));

        fde[30] ^= 0x20;
        using var fresh = new BinlogEventDecoder();
        fresh.Feed(fde);
        Assert.Contains("CRC32 mismatch", Assert.Throws<BinlogFormatException>(() => fresh.TryRead(out _)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_artificial_rotate_follows_the_negotiated_checksum_and_names_the_file(bool crc32)
    {
        var negotiated = crc32 ? BinlogChecksum.Crc32 : BinlogChecksum.None;
        // ROTATE: post-header position u64, body the next file's name; the fake one has log_pos 0 and LOG_EVENT_ARTIFICIAL_F.
        var rotate = EventBytes.Event(4, EventBytes.Concat(EventBytes.UInt64(4), EventBytes.Ascii("mysql-bin.000042")),
            crc32: negotiated == BinlogChecksum.Crc32, flags: 0x20, timestamp: 0);
        using var decoder = new BinlogEventDecoder(new BinlogDecoderOptions { NegotiatedChecksum = negotiated });
        decoder.Feed(rotate);
        Assert.True(decoder.TryRead(out var e));
        var decoded = Assert.IsType<RotateEvent>(e);
        Assert.Equal("mysql-bin.000042", decoded.NextFileName);
        Assert.Equal(4UL, decoded.Position);
        Assert.True(decoded.IsArtificial);
        Assert.Equal("mysql-bin.000042", decoder.FileName);
    }

    private static async Task<HashSet<long>> ListedPositionsAsync(string connectionString, string file, long from)
    {
        var positions = new HashSet<long>();
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand($"SHOW BINLOG EVENTS IN '{file}' FROM {from}", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) positions.Add(Convert.ToInt64(reader["Pos"], System.Globalization.CultureInfo.InvariantCulture));
        return positions;
    }
}
