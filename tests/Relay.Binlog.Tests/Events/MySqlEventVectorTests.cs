using System.Text;
using Relay.Binlog.Events;
using Relay.Binlog.Gtids;
using ZstdSharp;
using static Relay.Binlog.Tests.Events.EventBytes;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// MySQL 8 events (no MySQL server can run here) from byte vectors built per the libbinlogevents documentation:
/// rows_event.h (Table_map_event with its optional metadata, Rows_event v2), control_events.h (Gtid_event,
/// Previous_gtids_event, Transaction_payload_event, Heartbeat_event_v2), statement_events.h (Query_event), and the
/// serialization library's readme.md for the tagged GTID event.
/// </summary>
public sealed class MySqlEventVectorTests
{
    private const ulong TableId = 0x1234;
    private static readonly Guid Uuid1 = Guid.Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    private static readonly Guid Uuid2 = Guid.Parse("4a0b7e3c-0000-11ee-8000-000000000002");

    /// <summary>FORMAT_DESCRIPTION of MySQL 8.4 with CRC32.</summary>
    private static byte[] FormatDescription(bool crc32 = true) =>
        Event(15, FormatDescriptionBody("8.4.3", crc32 ? (byte)1 : (byte)0, MySql8PostHeaders), crc32);

    /// <summary>
    /// TABLE_MAP of shop.outbox: id BIGINT UNSIGNED, payload JSON, note VARCHAR(100) utf8mb4, created DATETIME(6),
    /// status ENUM('new','sent'), amount DECIMAL(10,2), flags SET('a','b'), geo GEOMETRY, sent TIMESTAMP(3); with the
    /// optional metadata binlog_row_metadata=FULL writes.
    /// </summary>
    private static byte[] TableMapBody()
    {
        string[] columnNames = ["id", "payload", "note", "created", "status", "amount", "flags", "geo", "sent"];
        var names = Concat(columnNames.Select(n => Concat([(byte)n.Length], Ascii(n))).ToArray());
        var optional = Concat(
            [1, 1, 0x80],                                   // SIGNEDNESS: numeric columns id, amount: id unsigned
            [2, 3, 0xFC, 0xFF, 0x00],                       // DEFAULT_CHARSET 255 (utf8mb4_0900_ai_ci) for note, the one character column
            [4, (byte)names.Length], names,                 // COLUMN_NAME
            [6, 10, 2, 3, .. Ascii("new"), 4, .. Ascii("sent")], // ENUM_STR_VALUE
            [5, 5, 2, 1, (byte)'a', 1, (byte)'b'],          // SET_STR_VALUE
            [7, 1, 0],                                      // GEOMETRY_TYPE
            [8, 1, 0],                                      // SIMPLE_PRIMARY_KEY: id
            [10, 3, 0xFC, 0xFF, 0x00],                      // ENUM_AND_SET_DEFAULT_CHARSET 255
            [12, 2, 0xFF, 0x80]);                           // COLUMN_VISIBILITY: all visible
        return Concat(
            UInt48(TableId), UInt16(1),
            [4], Ascii("shop"), [0], [6], Ascii("outbox"), [0],
            Packed(9), [8, 245, 15, 18, 254, 246, 254, 255, 17],
            Packed(12), [4, 0x90, 0x01, 6, 0xF7, 0x01, 10, 2, 0xF8, 0x01, 4, 3],
            [0xFE, 0x01],
            optional);
    }

    private static readonly byte[] Json = Hex("00 0200 1e00 1200 0100 1300 0100 05 0100 02 1400 61 62 0200 0a00 04 0100 04 0000");
    private static readonly byte[] Point = Hex("00000000 0101000000 000000000000F83F 00000000000002C0");
    private static readonly DateTimeOffset Sent = new(2024, 2, 29, 13, 14, 15, TimeSpan.Zero);

    /// <summary>WRITE_ROWS v2: post-header table id, flags, extra-data length (counting itself) and data; then the rows.</summary>
    private static byte[] WriteRowsBody(byte[]? extra = null)
    {
        extra ??= [];
        // DATETIME2(6): ((year * 13 + month) << 5 | day) << 17 | hour << 12 | minute << 6 | second, plus 0x8000000000,
        // big-endian in 5 bytes, then the microseconds in 3 big-endian bytes.
        var datetime = (((2024L * 13 + 2) << 5 | 29) << 17 | 13 << 12 | 14 << 6 | 15) + 0x8000000000L;
        byte[] created = [(byte)(datetime >> 32), (byte)(datetime >> 24), (byte)(datetime >> 16), (byte)(datetime >> 8), (byte)datetime, 0x01, 0xE2, 0x40];
        // DECIMAL(10,2) -1234.56: 8 integer digits in 4 bytes, 2 fraction digits in 1; sign bit flipped, then all inverted.
        byte[] amount = [0x80, 0x00, 0x04, 0xD2, 0x38];
        for (var i = 0; i < amount.Length; i++) amount[i] = (byte)~amount[i];
        // TIMESTAMP2(3): seconds big-endian, then 2 bytes in units of 100 microseconds.
        var seconds = (uint)Sent.ToUnixTimeSeconds();
        byte[] sent = [(byte)(seconds >> 24), (byte)(seconds >> 16), (byte)(seconds >> 8), (byte)seconds, 0x04, 0xCE];
        var note = Utf8("héllo");
        return Concat(
            UInt48(TableId), UInt16(1), UInt16((ushort)(2 + extra.Length)), extra,
            Packed(9), [0xFF, 0x01],
            [0x00, 0x00], UInt64(ulong.MaxValue), UInt32((uint)Json.Length), Json, UInt16((ushort)note.Length), note, created,
            [2], amount, [3], UInt32((uint)Point.Length), Point, sent,
            [0xFE, 0x01], UInt64(0));
    }

    private static readonly object?[] FirstRow =
    [
        "18446744073709551615", "{\"a\": 1, \"b\": [true, null]}", "héllo", "2024-02-29T13:14:15.123456", "sent", "-1234.56", "a,b",
        Point, "2024-02-29T13:14:15.123Z",
    ];

    private static readonly object?[] SecondRow = ["0", null, null, null, null, null, null, null, null];

    /// <summary>QUERY: thread id, time, schema length, error code, status-variables length; variables; schema NUL; text.</summary>
    private static byte[] QueryBody(string schema, byte[] statement, ushort clientCollation = 255)
    {
        var status = Concat(
            [0], UInt32(0),                                     // Q_FLAGS2_CODE
            [1], UInt64(0),                                     // Q_SQL_MODE_CODE
            [6, 3], Ascii("std"),                               // Q_CATALOG_NZ_CODE
            [4], UInt16(clientCollation), UInt16(255), UInt16(255)); // Q_CHARSET_CODE: client, connection, server
        return Concat(UInt32(42), UInt32(0), [(byte)schema.Length], UInt16(0), UInt16((ushort)status.Length), status, Ascii(schema), [0], statement);
    }

    private static (BinlogEventDecoder Decoder, List<BinlogEvent> Events) Start(params byte[][] events)
    {
        var decoder = new BinlogEventDecoder();
        decoder.AddTable("shop", "outbox");
        decoder.FileName = "binlog.000007";
        var seen = new List<BinlogEvent>();
        foreach (var e in events)
        {
            decoder.Feed(e);
            while (decoder.TryRead(out var decoded)) seen.Add(decoded);
        }
        return (decoder, seen);
    }

    [Fact]
    public void Table_map_with_full_metadata_and_rows_v2()
    {
        var decoder = new BinlogEventDecoder();
        decoder.AddTable("shop", "outbox");
        decoder.Feed(FormatDescription());
        decoder.TryRead(out _);
        decoder.Feed(Event(19, TableMapBody()));
        Assert.True(decoder.TryRead(out var e));
        var table = Assert.IsType<TableMapEvent>(e).Table!;
        Assert.Equal(TableId, table.TableId);
        Assert.Equal(["id", "payload", "note", "created", "status", "amount", "flags", "geo", "sent"], table.Columns.Names.Select(n => n!));
        Assert.Equal([true, null, null, null, null, false, null, null, null], table.Columns.Unsigned);
        Assert.Equal(255, table.Columns.Collations[2]);
        Assert.Equal(["new", "sent"], table.Columns.EnumValues[4]!);
        Assert.Equal(["a", "b"], table.Columns.SetValues[6]!);
        Assert.Equal([0], table.Columns.PrimaryKey!);
        Assert.Equal([false, true, true, true, true, true, true, true, true], table.Nullable);

        decoder.Feed(Event(30, WriteRowsBody()));
        Assert.True(decoder.TryRead(out e));
        var rows = Assert.IsType<WriteRowsEvent>(e);
        Assert.Equal(2, rows.Version);
        Assert.Equal(RowsEventFlags.StatementEnd, rows.Flags);
        Assert.True(rows.ExtraData.IsEmpty);
        Assert.True(rows.TryReadRow(out var first));
        Assert.Equal(FirstRow, first);
        Assert.True(rows.TryReadRow(out var second));
        Assert.Equal(SecondRow, second);
        Assert.False(rows.TryReadRow(out _));

        // v2 with an extra-row-info block (type PART, partition id 7) and only two columns present.
        var partial = Concat(UInt48(TableId), UInt16(0), UInt16(5), [1, 7, 0], Packed(9), [0x05, 0x00], [0x00], UInt64(9), UInt16(2), Ascii("hi"));
        decoder.Feed(Event(30, partial));
        Assert.True(decoder.TryRead(out e));
        rows = Assert.IsType<WriteRowsEvent>(e);
        Assert.Equal([1, 7, 0], rows.ExtraData.ToArray());
        Assert.True(rows.TryReadRow(out var row));
        Assert.Equal(new object?[] { "9", null, "hi", null, null, null, null, null, null }, row);
    }

    [Fact]
    public void Updates_and_deletes_v2_are_recognised_and_not_decoded()
    {
        var (_, events) = Start(FormatDescription(), Event(19, TableMapBody()),
            Event(31, Concat(UInt48(TableId), UInt16(1), UInt16(2), Packed(9), [0xFF, 0x01], [0xFF, 0x01], [0xFF])),
            Event(32, Concat(UInt48(TableId), UInt16(1), UInt16(2), Packed(9), [0xFF, 0x01], [0xAA])));
        var update = Assert.IsType<UpdateRowsEvent>(events[2]);
        var delete = Assert.IsType<DeleteRowsEvent>(events[3]);
        Assert.Equal((2, "outbox"), (update.Version, update.Table!.Name));
        Assert.Equal((2, "outbox"), (delete.Version, delete.Table!.Name));
    }

    [Fact]
    public void Gtid_and_anonymous_gtid_with_every_optional_part()
    {
        const ulong immediate = 1_700_000_000_123_456, original = 1_699_999_999_000_001;
        var full = Concat([0x00], Uuid1.ToByteArray(bigEndian: true), UInt64(23),
            [2], UInt64(5), UInt64(6),
            BitConverter.GetBytes(immediate | 1UL << 55)[..7], BitConverter.GetBytes(original)[..7],
            Packed(300),
            UInt32(80403 | 1U << 31), UInt32(80036),
            UInt64(9));
        var fiveSeven = Concat([0x01], Uuid2.ToByteArray(bigEndian: true), UInt64(1), [2], UInt64(0), UInt64(1));
        var anonymous = Concat([0x00], new byte[16], UInt64(0), [2], UInt64(3), UInt64(4), BitConverter.GetBytes(immediate)[..7], Packed(120), UInt32(80403));

        var (_, events) = Start(FormatDescription(), Event(33, full));
        var gtid = Assert.IsType<GtidEvent>(events[1]);
        Assert.Equal("3e11fa47-71ca-11e1-9e33-c80aa9429562:23", gtid.Gtid.ToString());
        Assert.Equal((5L, 6L), (gtid.LastCommitted, gtid.SequenceNumber));
        Assert.Equal((immediate, original), (gtid.ImmediateCommitTimestamp, gtid.OriginalCommitTimestamp));
        Assert.Equal(300UL, gtid.TransactionLength);
        Assert.Equal((80403U, 80036U), (gtid.ImmediateServerVersion, gtid.OriginalServerVersion));
        Assert.Equal(9UL, gtid.CommitGroupTicket);

        // Events are reused: look at each while it is current.
        var (_, again) = Start(FormatDescription(), Event(33, fiveSeven));
        var short57 = Assert.IsType<GtidEvent>(again[1]);
        Assert.Equal((byte)1, short57.Flags);
        Assert.Equal($"{Uuid2}:1", short57.Gtid.ToString());
        Assert.Null(short57.ImmediateCommitTimestamp);
        Assert.Null(short57.TransactionLength);

        var (_, anon) = Start(FormatDescription(), Event(34, anonymous));
        var anonymousGtid = Assert.IsType<GtidEvent>(anon[1]);
        Assert.True(anonymousGtid.IsAnonymous);
        Assert.Equal(0L, anonymousGtid.Gtid.Gno);
        Assert.Equal((immediate, immediate), (anonymousGtid.ImmediateCommitTimestamp, anonymousGtid.OriginalCommitTimestamp));
        Assert.Equal((80403U, 80403U), (anonymousGtid.ImmediateServerVersion, anonymousGtid.OriginalServerVersion));
    }

    [Fact]
    public void Serialization_varlen_integers_match_the_readmes_examples()
    {
        // readme.md, "Variable-length integers", shown big-endian there: 65535 unsigned is 00000111 11111111 11111011.
        Span<byte> buffer = stackalloc byte[9];
        Assert.Equal(3, SerializationVarlen.WriteUnsigned(buffer, 65535));
        Assert.Equal(new byte[] { 0xFB, 0xFF, 0x07 }, buffer[..3].ToArray());
        // Signed: 65535 is 00001111 11111111 11110011, -65535 ...11101011, -65536 ...11111011.
        Assert.Equal(3, SerializationVarlen.WriteSigned(buffer, 65535));
        Assert.Equal(new byte[] { 0xF3, 0xFF, 0x0F }, buffer[..3].ToArray());
        SerializationVarlen.WriteSigned(buffer, -65535);
        Assert.Equal(new byte[] { 0xEB, 0xFF, 0x0F }, buffer[..3].ToArray());
        SerializationVarlen.WriteSigned(buffer, -65536);
        Assert.Equal(new byte[] { 0xFB, 0xFF, 0x0F }, buffer[..3].ToArray());
        Assert.Equal(3, SerializationVarlen.ReadSigned(new byte[] { 0xEB, 0xFF, 0x0F }, out var signed));
        Assert.Equal(-65535, signed);
        foreach (var value in new ulong[] { 0, 1, 127, 128, 1UL << 20, (1UL << 56) - 1, 1UL << 56, ulong.MaxValue })
        {
            var written = SerializationVarlen.WriteUnsigned(buffer, value);
            Assert.Equal(written, SerializationVarlen.ReadUnsigned(buffer[..written], out var read));
            Assert.Equal(value, read);
        }
        Assert.Equal(9, SerializationVarlen.WriteUnsigned(buffer, ulong.MaxValue));
        Assert.Equal(0, SerializationVarlen.ReadUnsigned(new byte[] { 0x03, 0x00 }, out _));
    }

    /// <summary>
    /// GTID_TAGGED_LOG (42) body written out by hand from libs/mysql/serialization/readme.md: a message is the format
    /// version, the message size (all of it, these three header fields included), the last non-ignorable field id, then
    /// (field id, value) pairs in Gtid_event::define_fields order, every integer a varlen. Varlen: n bytes little-endian
    /// whose first byte ends in n-1 one bits and a zero, the value above them (v &lt; 2^(7n), n ≤ 8; 0xFF then 8 bytes);
    /// signed values zig-zag first (x ≥ 0: 2x; x &lt; 0: -2x-1). The UUID is a fixed array of 16 varlen bytes, so bytes
    /// ≥ 0x80 take two; a tag is a varlen length and its bytes. Computed with a few lines of Python from that text.
    /// </summary>
    private static readonly byte[] TaggedGtidVector = Hex(
        "02" +                      // format version 1 (1 << 1)
        "7c" +                      // message size 62 (62 << 1)
        "00" +                      // last non-ignorable field id 0
        "00 02" +                   // field 0 flags: 1
        "02" +                      // field 1 uuid 3e11fa47-71ca-11e1-9e33-c80aa9429562, byte by byte:
        "7c 22 e903 8e e2 2903 22 8503 7902 66 2103 14 a502 84 5502 c4" + // 3e 11 fa 47 71 ca 11 e1 9e 33 c8 0a a9 42 95 62
        "04 9126" +                 // field 2 gno 1234: zig-zag 2468, two bytes (2468 << 2 | 0b01 = 0x2691)
        "06 10 446f6d61696e5f31" +  // field 3 tag: length 8, "Domain_1"
        "08 28" +                   // field 4 last_committed 10 (zig-zag 20)
        "0a 2c" +                   // field 5 sequence_number 11 (zig-zag 22)
        "0c 7f00401e18240a06" +     // field 6 immediate commit timestamp 1_700_000_000_000_000 µs: 8 bytes (0x7F, then the value)
        "10 250c" +                 // field 8 transaction length 777 (field 7, the original timestamp, omitted: = immediate)
        "12 9bd009");               // field 9 immediate server version 80403 (three bytes: 80403 << 3 | 0b011)

    [Fact]
    public void Tagged_gtid_in_the_serialization_format()
    {
        var message = TaggedGtidVector;
        Assert.Equal(62, message.Length);
        var (_, events) = Start(FormatDescription(), Event(42, message));
        var gtid = Assert.IsType<GtidEvent>(events[1]);
        Assert.Equal("3e11fa47-71ca-11e1-9e33-c80aa9429562:domain_1:1234", gtid.Gtid.ToString());
        Assert.Equal((10L, 11L), (gtid.LastCommitted, gtid.SequenceNumber));
        Assert.Equal((1_700_000_000_000_000UL, 1_700_000_000_000_000UL), (gtid.ImmediateCommitTimestamp, gtid.OriginalCommitTimestamp));
        Assert.Equal(777UL, gtid.TransactionLength);
        Assert.Equal((80403U, 80403U), (gtid.ImmediateServerVersion, gtid.OriginalServerVersion));
        Assert.Equal(1, gtid.Flags);
    }

    /// <summary>
    /// INCIDENT (Incident_event, control_events.h): post-header the incident number (u16, 1 = LOST_EVENTS); body the
    /// message length (u8) and the message. Written by hand; the event header is the 19 bytes of any event.
    /// </summary>
    private static readonly byte[] IncidentBody = Hex(
        "0100" +                                                 // incident 1: LOST_EVENTS
        "0f" +                                                   // message length 15
        "73746d74206361636865 2066756c6c");                      // "stmt cache full"

    [Fact]
    public void Incident_events_decode_their_number_and_message()
    {
        var (_, events) = Start(FormatDescription(), Event(26, IncidentBody, logPosition: 4321));
        var incident = Assert.IsType<IncidentEvent>(events[1]);
        Assert.Equal(IncidentEvent.LostEvents, incident.Incident);
        Assert.Equal("LOST_EVENTS", incident.IncidentName);
        Assert.Equal("stmt cache full", incident.Message);
        Assert.Equal(4321u, incident.Header.LogPosition);

        // An incident with no message (MySQL writes the length byte 0; an older writer may leave the body out).
        (_, events) = Start(FormatDescription(), Event(26, Hex("0100 00")), Event(26, Hex("0200")));
        Assert.Equal(("LOST_EVENTS", ""), (Assert.IsType<IncidentEvent>(events[1]).IncidentName, ((IncidentEvent)events[1]).Message));
        Assert.Equal(("incident 2", ""), (Assert.IsType<IncidentEvent>(events[2]).IncidentName, ((IncidentEvent)events[2]).Message));

        // A message length past the event's end is a format error, not a short message.
        Assert.Throws<BinlogFormatException>(() => Start(FormatDescription(), Event(26, Hex("0100 1c 6e6f6e"))));
    }

    [Fact]
    public void Previous_gtids_untagged_and_tagged()
    {
        // Gtid_set::encode: n_sids u64, per source uuid, n_intervals u64, [start, end) i64 pairs.
        var untagged = Concat(UInt64(2),
            Uuid1.ToByteArray(bigEndian: true), UInt64(2), UInt64(1), UInt64(6), UInt64(7), UInt64(10),
            Uuid2.ToByteArray(bigEndian: true), UInt64(1), UInt64(1), UInt64(4));
        // Tagged format: 0x01 in the top and bottom bytes of n_sids, and a tag (varlen length, bytes) after each uuid.
        var tagged = Concat(UInt64(1UL << 56 | 2UL << 8 | 1),
            Uuid1.ToByteArray(bigEndian: true), [0x00], UInt64(1), UInt64(1), UInt64(5),
            Uuid1.ToByteArray(bigEndian: true), [0x08], Ascii("aaaa"), UInt64(1), UInt64(1), UInt64(2));
        var (_, events) = Start(FormatDescription(), Event(35, untagged));
        Assert.Equal("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,4a0b7e3c-0000-11ee-8000-000000000002:1-3",
            Assert.IsType<PreviousGtidsEvent>(events[1]).GtidSet.ToString());
        (_, events) = Start(FormatDescription(), Event(35, tagged));
        var set = Assert.IsType<PreviousGtidsEvent>(events[1]).GtidSet;
        Assert.Equal("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-4:aaaa:1", set.ToString());
        Assert.Equal(tagged, set.Encode());
        Assert.Equal(untagged, MySqlGtidSet.Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,4a0b7e3c-0000-11ee-8000-000000000002:1-3").Encode());
    }

    private static byte[] TransactionEvents() => Concat(
        Event(2, QueryBody("shop", Ascii("BEGIN")), crc32: false),
        Event(19, TableMapBody(), crc32: false),
        Event(30, WriteRowsBody(), crc32: false),
        Event(16, UInt64(99), crc32: false));

    /// <summary>Transaction_payload: TLV header (2 compression type, 3 uncompressed size, 1 payload size, 0 end), then the payload.</summary>
    private static byte[] PayloadBody(byte[] payload, byte compression, int uncompressedSize) => Concat(
        [2], Packed((ulong)Packed(compression).Length), Packed(compression),
        compression == 0 ? Concat([3], Packed((ulong)Packed((ulong)uncompressedSize).Length), Packed((ulong)uncompressedSize)) : [],
        [1], Packed((ulong)Packed((ulong)payload.Length).Length), Packed((ulong)payload.Length),
        [0], payload);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Transaction_payload_yields_its_events_after_itself(bool zstd)
    {
        var inner = TransactionEvents();
        using var compressor = new Compressor(3);
        var payload = zstd ? compressor.Wrap(inner).ToArray() : inner;
        var gtid = Event(33, Concat([0x00], Uuid1.ToByteArray(bigEndian: true), UInt64(24), [2], UInt64(1), UInt64(2)));
        var decoder = new BinlogEventDecoder();
        decoder.AddTable("shop", "outbox");
        var seen = new List<string>();
        foreach (var bytes in new[] { FormatDescription(), gtid, Event(40, PayloadBody(payload, zstd ? (byte)0 : (byte)255, inner.Length)) })
        {
            decoder.Feed(bytes);
            while (decoder.TryRead(out var e))
            {
                switch (e)
                {
                    case TransactionPayloadEvent p:
                        seen.Add($"payload {p.CompressionType} {p.UncompressedSize} {p.InPayload}");
                        break;
                    case QueryEvent q:
                        seen.Add($"query {q.Statement} {q.IsBegin} {q.InPayload}");
                        break;
                    case TableMapEvent t:
                        seen.Add($"table {t.Table!.Name} {t.InPayload}");
                        break;
                    case WriteRowsEvent w:
                        Assert.True(w.TryReadRow(out var first));
                        Assert.Equal(FirstRow, first);
                        Assert.True(w.TryReadRow(out var second));
                        Assert.Equal(SecondRow, second);
                        seen.Add($"rows {w.InPayload}");
                        break;
                    case XidEvent x:
                        seen.Add($"xid {x.Xid} {x.InPayload}");
                        break;
                    default:
                        seen.Add(e.Type.ToString());
                        break;
                }
            }
        }
        Assert.Equal(["FormatDescription", "Gtid", $"payload {(zstd ? 0 : 255)} {(zstd ? inner.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")} False",
            "query BEGIN True True", "table outbox True", "rows True", "xid 99 True"], seen);
    }

    [Fact]
    public void Damaged_payloads_fail_naming_the_payload_event()
    {
        var inner = TransactionEvents();
        using var compressor = new Compressor(3);
        var payload = compressor.Wrap(inner).ToArray();
        payload = payload[..^10];
        var decoder = new BinlogEventDecoder();
        decoder.FileName = "binlog.000007";
        decoder.Feed(FormatDescription());
        decoder.TryRead(out _);
        decoder.Feed(Event(40, PayloadBody(payload, 0, inner.Length), logPosition: 5000));
        var error = Assert.Throws<BinlogFormatException>(() => decoder.TryRead(out _));
        Assert.Equal(BinlogEventType.TransactionPayload, error.EventType);
        Assert.Contains("binlog.000007:", error.Message);

        // An inner event whose size runs past the payload.
        var truncated = inner[..^3];
        var fresh = new BinlogEventDecoder();
        fresh.Feed(FormatDescription());
        fresh.TryRead(out _);
        fresh.Feed(Event(40, PayloadBody(truncated, 255, truncated.Length)));
        var read = 0;
        var inside = Assert.Throws<BinlogFormatException>(() => { while (fresh.TryRead(out _)) read++; });
        Assert.Contains("inside the TRANSACTION_PAYLOAD", inside.Message);
        Assert.Equal(4, read);
    }

    [Fact]
    public void Heartbeats_v1_and_v2()
    {
        // HEARTBEAT: the body is the file name, the header's log_pos the position; v2: TLV 1 name, 2 position, 0 end.
        var v1 = Event(27, Ascii("binlog.000007"), logPosition: 1234, flags: 0x20, timestamp: 0);
        var v2 = Event(41, Concat([1, 13], Ascii("binlog.000008"), [2, 4], Packed(70000), [0]), flags: 0x20, timestamp: 0);
        var decoder = new BinlogEventDecoder();
        decoder.Feed(FormatDescription());
        decoder.TryRead(out _);
        decoder.Feed(v1);
        decoder.TryRead(out var e);
        var heartbeat = Assert.IsType<HeartbeatEvent>(e);
        Assert.Equal(("binlog.000007", 1234UL, 1), (heartbeat.LogFileName, heartbeat.LogPosition, heartbeat.Version));
        decoder.Feed(v2);
        decoder.TryRead(out e);
        heartbeat = Assert.IsType<HeartbeatEvent>(e);
        Assert.Equal(("binlog.000008", 70000UL, 2), (heartbeat.LogFileName, heartbeat.LogPosition, heartbeat.Version));
    }

    [Fact]
    public void Query_text_is_decoded_by_the_client_charset_in_the_status_variables()
    {
        var latin1 = Encoding.Latin1.GetBytes("ALTER TABLE caf\u00e9 ADD COLUMN na\u00efve INT");
        var (_, events) = Start(FormatDescription(), Event(2, QueryBody("shop", latin1, clientCollation: 8)));
        var alter = Assert.IsType<QueryEvent>(events[1]);
        Assert.Equal("ALTER TABLE café ADD COLUMN naïve INT", alter.Statement);
        Assert.Equal("shop", alter.Schema);
        Assert.Equal(42U, alter.ThreadId);
    }

    [Fact]
    public void Rows_of_a_table_id_no_table_map_announced_are_an_error()
    {
        var decoder = new BinlogEventDecoder();
        decoder.FileName = "binlog.000007";
        decoder.Feed(FormatDescription());
        decoder.TryRead(out _);
        decoder.Feed(Event(30, WriteRowsBody(), logPosition: 900));
        var error = Assert.Throws<BinlogFormatException>(() => decoder.TryRead(out _));
        Assert.Contains("table id 4660", error.Message);
        Assert.Equal(900 - 19 - WriteRowsBody().Length - 4, error.Position);
    }
}
