using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Numerics;
using System.Text;
using Relay.Binlog.Gtids;
using ZstdSharp;

namespace Relay.Binlog.Events;

/// <summary>
/// Turns binlog events, one complete event at a time (the 19-byte header, the body and the CRC32 when checksums are
/// on; what a dump connection delivers, and what a binlog file holds after its 4-byte magic), into typed events.
/// It keeps the state the format needs: the FORMAT_DESCRIPTION (post-header lengths, checksum algorithm), the file
/// name from ROTATE, and the TABLE_MAPs by table id (reset by each FORMAT_DESCRIPTION and ROTATE, as ids change
/// across files and DDL). Only tables named with <see cref="AddTable"/> are decoded; other tables' TABLE_MAPs and
/// rows cost no allocation once their table id is known.
/// <code>
/// decoder.AddTable("shop", "outbox");
/// decoder.Feed(eventBytes);                       // bytes valid until the transport's next read
/// while (decoder.TryRead(out var e))              // one event, or a TRANSACTION_PAYLOAD and the events inside it
///     if (e is WriteRowsEvent { Table: not null } rows)
///         while (rows.TryReadRow(out var row)) ...  // object?[] in table column order
/// </code>
/// Events and the memory they expose are valid until the next <see cref="TryRead"/> or <see cref="Feed"/>. Not
/// thread-safe: one decoder per stream.
/// </summary>
public sealed class BinlogEventDecoder : IDisposable
{
    private const int QueryPostHeaderLength = 13;

    private readonly BinlogDecoderOptions _options;
    private readonly List<TableRequest> _requests = [];
    private readonly Dictionary<ulong, TableEntry> _tables = new();
    private readonly RowDecoder _rows = new();

    // One instance per frequent event kind, refilled for each event (as Npgsql does with replication messages).
    private readonly TableMapEvent _tableMap = new();
    private readonly WriteRowsEvent _writeRows = new();
    private readonly UpdateRowsEvent _updateRows = new();
    private readonly DeleteRowsEvent _deleteRows = new();
    private readonly XidEvent _xid = new();
    private readonly QueryEvent _query = new();
    private readonly GtidEvent _gtid = new();
    private readonly MariaDbGtidEvent _mariaDbGtid = new();
    private readonly TransactionPayloadEvent _payloadEvent = new();
    private readonly HeartbeatEvent _heartbeat = new();
    private readonly AnnotateRowsEvent _annotateRows = new();
    private readonly UnknownEvent _unknown = new();

    private ReadOnlyMemory<byte> _pending;
    private bool _hasPending;

    // The events inside the current TRANSACTION_PAYLOAD, decompressed (or the event's own bytes when uncompressed).
    private ReadOnlyMemory<byte> _payload;
    private int _payloadOffset;
    private bool _inPayload;
    private BinlogEventHeader _payloadHeader;
    private byte[] _payloadBuffer = [];
    private Decompressor? _zstd;

    // MariaDB's inflated rows and queries.
    private byte[] _inflated = [];

    private byte[] _lastSchemaUtf8 = [];
    private string _lastSchema = "";

    public BinlogEventDecoder(BinlogDecoderOptions? options = null)
    {
        _options = options ?? new BinlogDecoderOptions();
    }

    /// <summary>The current FORMAT_DESCRIPTION, null before the first.</summary>
    public FormatDescriptionEvent? FormatDescription { get; private set; }

    /// <summary>The binlog file being read: set by each ROTATE; a caller reading a file sets it before the first event.</summary>
    public string? FileName { get; set; }

    /// <summary>
    /// Asks for the rows of <paramref name="schema"/>.<paramref name="table"/>. <paramref name="columns"/> completes
    /// what the TABLE_MAP does not say (names, charsets, signedness without binlog_row_metadata=FULL).
    /// </summary>
    public void AddTable(string schema, string table, TableColumns? columns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        ArgumentException.ThrowIfNullOrEmpty(table);
        _requests.RemoveAll(r => _options.TableNameComparer.Equals(r.Schema, schema) && _options.TableNameComparer.Equals(r.Table, table));
        _requests.Add(new TableRequest(schema, table, columns));
        // A table id decided on before may now be wanted, or have other columns.
        _tables.Clear();
    }

    /// <summary>Hands the decoder one complete event; read it (and, for a TRANSACTION_PAYLOAD, what it holds) with <see cref="TryRead"/>.</summary>
    public void Feed(ReadOnlyMemory<byte> eventBytes)
    {
        if (_hasPending) throw new InvalidOperationException("The previous event was not read: call TryRead until it returns false before feeding the next.");
        if (_inPayload && _payloadOffset < _payload.Length)
            throw new InvalidOperationException("The events inside the previous TRANSACTION_PAYLOAD were not all read.");
        _inPayload = false;
        _pending = eventBytes;
        _hasPending = true;
    }

    /// <summary>The next decoded event, or false when everything fed has been read.</summary>
    public bool TryRead([NotNullWhen(true)] out BinlogEvent? binlogEvent)
    {
        _rows.Generation++;
        if (_hasPending)
        {
            _hasPending = false;
            binlogEvent = DecodeOuter(_pending);
            return true;
        }
        if (_inPayload && _payloadOffset < _payload.Length)
        {
            binlogEvent = DecodeInner();
            return true;
        }
        _inPayload = false;
        binlogEvent = null;
        return false;
    }

    public void Dispose() => _zstd?.Dispose();

    private BinlogEvent DecodeOuter(ReadOnlyMemory<byte> memory)
    {
        var span = memory.Span;
        if (span.Length < BinlogEventHeader.Length)
            throw new BinlogFormatException($"an event of {span.Length} bytes is shorter than the {BinlogEventHeader.Length}-byte header", null, FileName, -1);
        var header = BinlogEventHeader.Read(span);
        try
        {
            if (header.EventSize != span.Length)
                throw new BinlogFormatException($"the header says {header.EventSize} bytes but the event has {span.Length}");
            var checksum = ChecksumOf(header, span);
            var bodyEnd = span.Length - (checksum == BinlogChecksum.Crc32 || header.Type == BinlogEventType.FormatDescription && HasChecksumRoom(span) ? 4 : 0);
            if (bodyEnd < BinlogEventHeader.Length) throw new BinlogFormatException("the event is too short for its checksum");
            if (checksum == BinlogChecksum.Crc32 && _options.VerifyChecksums) VerifyCrc32(header, span);
            return Decode(header, memory[BinlogEventHeader.Length..bodyEnd], inPayload: false);
        }
        catch (BinlogFormatException e)
        {
            throw e.At(header.Type, FileName, header.StartPosition);
        }
        catch (BinlogTableChangedException e)
        {
            throw e.At(FileName, header.StartPosition);
        }
    }

    private BinlogEvent DecodeInner()
    {
        var span = _payload.Span[_payloadOffset..];
        var offset = _payloadOffset;
        BinlogEventHeader header = default;
        try
        {
            if (span.Length < BinlogEventHeader.Length)
                throw new BinlogFormatException($"{span.Length} bytes left, less than an event header");
            header = BinlogEventHeader.Read(span);
            if (header.EventSize < BinlogEventHeader.Length || header.EventSize > span.Length)
                throw new BinlogFormatException($"an inner event of {header.EventSize} bytes with {span.Length} left");
            if (header.Type is BinlogEventType.FormatDescription or BinlogEventType.Rotate or BinlogEventType.TransactionPayload)
                throw new BinlogFormatException($"a {header.Type} event cannot be inside a TRANSACTION_PAYLOAD");
            _payloadOffset += (int)header.EventSize;
            // Events inside a payload carry no checksum.
            return Decode(header, _payload.Slice(offset + BinlogEventHeader.Length, (int)header.EventSize - BinlogEventHeader.Length), inPayload: true);
        }
        catch (BinlogTableChangedException e)
        {
            _payloadOffset = _payload.Length;
            throw e.At(FileName, _payloadHeader.StartPosition);
        }
        catch (BinlogFormatException e)
        {
            _payloadOffset = _payload.Length;
            throw new BinlogFormatException(
                $"{(header.EventSize == 0 ? "an event" : $"the {header.Type} event")} at offset {offset} inside the TRANSACTION_PAYLOAD: {e.Problem}",
                BinlogEventType.TransactionPayload, FileName, _payloadHeader.StartPosition, e);
        }
    }

    /// <summary>
    /// The FORMAT_DESCRIPTION carries its own algorithm (its last byte before the checksum); events before the first
    /// one and artificial ROTATEs follow what the connection negotiated; all others the current FORMAT_DESCRIPTION.
    /// </summary>
    private BinlogChecksum ChecksumOf(in BinlogEventHeader header, ReadOnlySpan<byte> span)
    {
        if (header.Type == BinlogEventType.FormatDescription)
            return HasChecksumRoom(span) ? (BinlogChecksum)span[^5] switch
            {
                BinlogChecksum.None => BinlogChecksum.None,
                BinlogChecksum.Crc32 => BinlogChecksum.Crc32,
                var other => throw new BinlogFormatException($"checksum algorithm {(byte)other} is not known (0 none, 1 CRC32)"),
            } : BinlogChecksum.None;
        if (FormatDescription is null || header.Type == BinlogEventType.Rotate && (header.Flags & BinlogEventFlags.Artificial) != 0)
            return _options.NegotiatedChecksum;
        return FormatDescription.Checksum;
    }

    /// <summary>
    /// Servers from MySQL 5.6.1 and MariaDB 5.3 end the FORMAT_DESCRIPTION with the algorithm byte and 4 checksum
    /// bytes, the latter present (and in MariaDB a valid CRC32) even when the algorithm is none.
    /// </summary>
    private static bool HasChecksumRoom(ReadOnlySpan<byte> span)
    {
        const int versionOffset = BinlogEventHeader.Length + 2;
        if (span.Length < versionOffset + 50) return false;
        var version = span.Slice(versionOffset, 50);
        var (major, minor, patch) = ParseVersion(version);
        var mariaDb = version.IndexOf("MariaDB"u8) >= 0;
        return mariaDb ? (major, minor, patch).CompareTo((5, 3, 0)) >= 0 : (major, minor, patch).CompareTo((5, 6, 1)) >= 0;
    }

    private static (int, int, int) ParseVersion(ReadOnlySpan<byte> version)
    {
        Span<int> parts = stackalloc int[3];
        var part = 0;
        foreach (var b in version)
        {
            if (b is >= (byte)'0' and <= (byte)'9') parts[part] = parts[part] * 10 + (b - '0');
            else if (b == '.' && part < 2) part++;
            else break;
        }
        return (parts[0], parts[1], parts[2]);
    }

    private void VerifyCrc32(in BinlogEventHeader header, ReadOnlySpan<byte> span)
    {
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]);
        uint computed;
        if (header.Type == BinlogEventType.FormatDescription && (header.Flags & BinlogEventFlags.BinlogInUse) != 0)
        {
            // The server sets the in-use flag of an open file's FORMAT_DESCRIPTION after computing its checksum.
            var crc = new Crc32();
            Span<byte> flags = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(header.Flags & ~BinlogEventFlags.BinlogInUse));
            crc.Append(span[..17]);
            crc.Append(flags);
            crc.Append(span[19..^4]);
            computed = crc.GetCurrentHashAsUInt32();
        }
        else
        {
            computed = Crc32.HashToUInt32(span[..^4]);
        }
        if (computed != stored)
            throw new BinlogFormatException($"CRC32 mismatch: the event says 0x{stored:X8}, its bytes give 0x{computed:X8} (corrupted or misread)");
    }

    private BinlogEvent Decode(in BinlogEventHeader header, ReadOnlyMemory<byte> body, bool inPayload)
    {
        if (FormatDescription is null && header.Type is not (BinlogEventType.FormatDescription or BinlogEventType.Rotate or
                BinlogEventType.Heartbeat or BinlogEventType.HeartbeatV2))
            throw new BinlogFormatException("an event before any FORMAT_DESCRIPTION: the stream must start at a file's beginning or with the server's FORMAT_DESCRIPTION");

        // An event belongs to the file it was read in, even a ROTATE that names the next one.
        var fileName = FileName;
        BinlogEvent result = header.Type switch
        {
            BinlogEventType.FormatDescription => ReadFormatDescription(header, body.Span),
            BinlogEventType.Rotate => ReadRotate(body.Span),
            BinlogEventType.TableMap => ReadTableMap(body),
            BinlogEventType.WriteRowsV1 or BinlogEventType.WriteRowsV2 or BinlogEventType.MariaDbWriteRowsCompressedV1 or
                BinlogEventType.MariaDbWriteRowsCompressed => ReadRows(header.Type, _writeRows, body),
            BinlogEventType.UpdateRowsV1 or BinlogEventType.UpdateRowsV2 or BinlogEventType.PartialUpdateRows or
                BinlogEventType.MariaDbUpdateRowsCompressedV1 or BinlogEventType.MariaDbUpdateRowsCompressed => ReadRows(header.Type, _updateRows, body),
            BinlogEventType.DeleteRowsV1 or BinlogEventType.DeleteRowsV2 or BinlogEventType.MariaDbDeleteRowsCompressedV1 or
                BinlogEventType.MariaDbDeleteRowsCompressed => ReadRows(header.Type, _deleteRows, body),
            BinlogEventType.Xid => ReadXid(body.Span),
            BinlogEventType.XaPrepare => ReadXaPrepare(body.Span),
            BinlogEventType.Query or BinlogEventType.MariaDbQueryCompressed => ReadQuery(header.Type, body),
            BinlogEventType.Gtid or BinlogEventType.AnonymousGtid => ReadGtid(header.Type, body.Span),
            BinlogEventType.GtidTagged => ReadTaggedGtid(body.Span),
            BinlogEventType.PreviousGtids => ReadPreviousGtids(body.Span),
            BinlogEventType.TransactionPayload => ReadTransactionPayload(header, body),
            BinlogEventType.Heartbeat => ReadHeartbeat(header, body.Span),
            BinlogEventType.HeartbeatV2 => ReadHeartbeatV2(body.Span),
            BinlogEventType.MariaDbGtid => ReadMariaDbGtid(header, body),
            BinlogEventType.MariaDbGtidList => ReadGtidList(body.Span),
            BinlogEventType.MariaDbBinlogCheckpoint => ReadCheckpoint(body.Span),
            BinlogEventType.MariaDbAnnotateRows => ReadAnnotateRows(body),
            BinlogEventType.Incident => ReadIncident(body.Span),
            BinlogEventType.MariaDbStartEncryption => throw new BinlogFormatException(
                "the binlog file is encrypted (encrypt_binlog=ON): read it through a replication connection, which decrypts it"),
            _ => _unknown,
        };
        result.SetHeader(header, fileName, inPayload);
        return result;
    }

    private FormatDescriptionEvent ReadFormatDescription(in BinlogEventHeader header, ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var version = reader.ReadUInt16("the binlog version");
        if (version != 4) throw new BinlogFormatException($"binlog version {version} is not supported (only 4, MySQL 5.0+)");
        var serverVersion = reader.ReadBytes(50, "the server version");
        var end = serverVersion.IndexOf((byte)0);
        var createTimestamp = reader.ReadUInt32("the creation time");
        var headerLength = reader.ReadByte("the header length");
        if (headerLength != BinlogEventHeader.Length)
            throw new BinlogFormatException($"a common header of {headerLength} bytes (only {BinlogEventHeader.Length} is supported)");
        var rest = reader.ReadToEnd();
        // The checksum algorithm byte (when the server writes one) is the last byte before the checksum room.
        var checksum = BinlogChecksum.None;
        var lengths = rest;
        if (header.EventSize - body.Length == BinlogEventHeader.Length + 4)
        {
            checksum = (BinlogChecksum)rest[^1];
            lengths = rest[..^1];
        }
        var fde = new FormatDescriptionEvent(version, Encoding.ASCII.GetString(end < 0 ? serverVersion : serverVersion[..end]),
            createTimestamp, headerLength, lengths.ToArray(), checksum);
        FormatDescription = fde;
        _tables.Clear();
        return fde;
    }

    private RotateEvent ReadRotate(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var position = reader.ReadUInt64("the position");
        var name = Encoding.UTF8.GetString(reader.ReadToEnd());
        if (name.Length == 0) throw new BinlogFormatException("a ROTATE without a file name");
        FileName = name;
        _tables.Clear();
        return new RotateEvent { Position = position, NextFileName = name };
    }

    private TableMapEvent ReadTableMap(ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        var postHeader = FormatDescription!.PostHeaderLength(BinlogEventType.TableMap, 8);
        var tableId = TableMapParser.ReadHeader(span, postHeader, out var flags, out var schemaOffset, out var schemaLength,
            out var tableOffset, out var tableLength);
        _tableMap.TableId = tableId;
        _tableMap.Flags = flags;
        _tableMap.SchemaUtf8 = body.Slice(schemaOffset, schemaLength);
        _tableMap.TableNameUtf8 = body.Slice(tableOffset, tableLength);
        // The same table maps again before every transaction that touches it: a byte comparison finds it unchanged.
        if (_tables.TryGetValue(tableId, out var known) && span.SequenceEqual(known.Bytes))
        {
            _tableMap.Table = known.Table;
            return _tableMap;
        }
        var request = _requests.Count == 0 ? null : FindRequest(span.Slice(schemaOffset, schemaLength), span.Slice(tableOffset, tableLength));
        var table = request is null ? null : TableMapParser.Parse(span, postHeader, FormatDescription.IsMariaDb, request.Columns);
        _tables[tableId] = new TableEntry(span.ToArray(), table);
        _tableMap.Table = table;
        return _tableMap;
    }

    private TableRequest? FindRequest(ReadOnlySpan<byte> schemaUtf8, ReadOnlySpan<byte> tableUtf8)
    {
        var schema = Encoding.UTF8.GetString(schemaUtf8);
        var table = Encoding.UTF8.GetString(tableUtf8);
        foreach (var request in _requests)
        {
            if (_options.TableNameComparer.Equals(request.Schema, schema) && _options.TableNameComparer.Equals(request.Table, table))
                return request;
        }
        return null;
    }

    /// <summary>
    /// Rows events: post-header table id and flags (v2 adds the extra-data length, which counts itself, and the extra
    /// data); body the column count, the columns-present bitmap (two for updates), then the row images. MariaDB's
    /// compressed types compress only the row images.
    /// </summary>
    private RowsEvent ReadRows(BinlogEventType type, RowsEvent target, ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        var reader = new SpanReader(span, SpanErrors.BinlogFormat);
        var postHeader = FormatDescription!.PostHeaderLength(type, type is BinlogEventType.WriteRowsV2 or BinlogEventType.UpdateRowsV2 or
            BinlogEventType.DeleteRowsV2 or BinlogEventType.PartialUpdateRows or BinlogEventType.MariaDbWriteRowsCompressed or
            BinlogEventType.MariaDbUpdateRowsCompressed or BinlogEventType.MariaDbDeleteRowsCompressed ? 10 : 8);
        target.TableId = postHeader == 6 ? reader.ReadUInt32("the table id") : reader.ReadUInt48("the table id");
        target.Flags = (RowsEventFlags)reader.ReadUInt16("the flags");
        target.Version = postHeader == 10 ? 2 : 1;
        target.WasCompressed = type >= BinlogEventType.MariaDbWriteRowsCompressedV1;
        target.ExtraData = default;
        if (postHeader == 10)
        {
            var extraLength = reader.ReadUInt16("the extra data length");
            if (extraLength < 2) throw new BinlogFormatException($"an extra data length of {extraLength} (it counts its own 2 bytes)");
            target.ExtraData = body.Slice(reader.Position, extraLength - 2);
            reader.Skip(extraLength - 2, "the extra data");
        }
        else if (postHeader > 8)
        {
            reader.Skip(postHeader - 8, "the rest of the post-header");
        }
        if (!_tables.TryGetValue(target.TableId, out var entry))
            throw new BinlogFormatException(
                $"rows of table id {target.TableId}, which no TABLE_MAP in this file announced (did reading start inside a transaction?)");
        target.Table = entry.Table;
        if (target is not WriteRowsEvent write) return target;
        write.ClearRows();
        if (entry.Table is null) return target;

        var columnCount = reader.ReadPackedInteger("the column count");
        if (columnCount != (ulong)entry.Table.ColumnCount)
            throw new BinlogFormatException($"rows of {columnCount} columns for {entry.Table}, whose TABLE_MAP has {entry.Table.ColumnCount}");
        var bitmapLength = (entry.Table.ColumnCount + 7) / 8;
        var presentOffset = reader.Position;
        var present = reader.ReadBytes(bitmapLength, "the columns-present bitmap");
        var presentCount = 0;
        for (var i = 0; i < present.Length; i++)
        {
            var bits = present[i];
            if (i == present.Length - 1 && (entry.Table.ColumnCount & 7) != 0) bits &= (byte)((1 << (entry.Table.ColumnCount & 7)) - 1);
            presentCount += BitOperations.PopCount(bits);
        }
        ReadOnlyMemory<byte> rows;
        if (target.WasCompressed)
        {
            var length = MariaDbCompression.Inflate(reader.ReadToEnd(), ref _inflated, _options.MaxDecompressedSize);
            rows = _inflated.AsMemory(0, length);
        }
        else
        {
            rows = body[reader.Position..];
        }
        write.SetRows(_rows, body.Slice(presentOffset, bitmapLength), presentCount, rows);
        return target;
    }

    /// <summary>INCIDENT: post-header the incident number (u16); body the message length (u8) and the message.</summary>
    private IncidentEvent ReadIncident(ReadOnlySpan<byte> body)
    {
        var postHeader = FormatDescription!.PostHeaderLength(BinlogEventType.Incident, 2);
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var incident = reader.ReadUInt16("the incident number");
        if (postHeader > 2) reader.Skip(postHeader - 2, "the rest of the post-header");
        var message = reader.IsAtEnd ? "" : Utf8(reader.ReadBytes(reader.ReadByte("the message length"), "the message"), "the message");
        return new IncidentEvent { Incident = incident, Message = message };
    }

    private XidEvent ReadXid(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        _xid.Xid = reader.ReadUInt64("the xid");
        return _xid;
    }

    /// <summary>XA_PREPARE_LOG: one_phase (1), format id (4, signed), gtrid length (4), bqual length (4), then the gtrid and bqual bytes.</summary>
    private static XaPrepareEvent ReadXaPrepare(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var onePhase = reader.ReadByte("one_phase") != 0;
        var formatId = (int)reader.ReadUInt32("the XID format id");
        var gtridLength = reader.ReadUInt32("the gtrid length");
        var bqualLength = reader.ReadUInt32("the bqual length");
        if (gtridLength > 64 || bqualLength > 64) throw new BinlogFormatException($"an XID of {gtridLength} + {bqualLength} bytes (at most 64 each)");
        var gtrid = reader.ReadBytes((int)gtridLength, "the gtrid");
        var bqual = reader.ReadBytes((int)bqualLength, "the bqual");
        return new XaPrepareEvent { OnePhase = onePhase, Xid = XaPrepareEvent.FormatXid(formatId, gtrid, bqual) };
    }

    /// <summary>
    /// QUERY: post-header thread id, execution time, schema length, error code, status-variables length; body the
    /// status variables, the schema and a NUL, then the statement (zlib-compressed in QUERY_COMPRESSED).
    /// </summary>
    private QueryEvent ReadQuery(BinlogEventType type, ReadOnlyMemory<byte> body)
    {
        var reader = new SpanReader(body.Span, SpanErrors.BinlogFormat);
        var postHeader = FormatDescription!.PostHeaderLength(type, QueryPostHeaderLength);
        if (postHeader < QueryPostHeaderLength) throw new BinlogFormatException($"a QUERY post-header of {postHeader} bytes");
        _query.ThreadId = reader.ReadUInt32("the thread id");
        _query.ExecutionTime = reader.ReadUInt32("the execution time");
        var schemaLength = reader.ReadByte("the schema length");
        _query.ErrorCode = reader.ReadUInt16("the error code");
        var statusLength = reader.ReadUInt16("the status variables length");
        reader.Skip(postHeader - QueryPostHeaderLength, "the rest of the post-header");
        var clientCollation = ClientCollation(reader.ReadBytes(statusLength, "the status variables"));
        _query.Schema = Schema(reader.ReadBytes(schemaLength, "the schema"));
        reader.Skip(1, "the schema's NUL");
        var statement = body[reader.Position..];
        _query.WasCompressed = type == BinlogEventType.MariaDbQueryCompressed;
        if (_query.WasCompressed)
            statement = _inflated.AsMemory(0, MariaDbCompression.Inflate(statement.Span, ref _inflated, _options.MaxDecompressedSize));
        _query.SetStatement(statement, clientCollation);
        return _query;
    }

    /// <summary>character_set_client from Q_CHARSET_CODE (4), walking the status variables it may follow; 0 when absent.</summary>
    private static int ClientCollation(ReadOnlySpan<byte> status)
    {
        var reader = new SpanReader(status, SpanErrors.BinlogFormat);
        while (!reader.IsAtEnd)
        {
            var code = reader.ReadByte("a status variable code");
            switch (code)
            {
                case 4: return reader.ReadUInt16("character_set_client");
                case 0 or 10: reader.Skip(4, "a status variable"); break;                  // flags2, master data written
                case 1 or 9: reader.Skip(8, "a status variable"); break;                   // sql_mode, table map for update
                case 2: reader.Skip(reader.ReadByte("a catalog length") + 1, "the catalog"); break;
                case 3: reader.Skip(4, "auto_increment settings"); break;
                case 5 or 6: reader.Skip(reader.ReadByte("a length"), "a status variable"); break; // time zone, catalog
                case 7 or 8: reader.Skip(2, "a status variable"); break;                   // lc_time_names, charset_database
                case 11:                                                                   // invoker user and host
                    reader.Skip(reader.ReadByte("the invoker user length"), "the invoker user");
                    reader.Skip(reader.ReadByte("the invoker host length"), "the invoker host");
                    break;
                default: return 0;                                                         // later codes: not needed, sizes vary
            }
        }
        return 0;
    }

    private string Schema(ReadOnlySpan<byte> utf8)
    {
        if (utf8.SequenceEqual(_lastSchemaUtf8)) return _lastSchema;
        _lastSchema = Utf8(utf8, "the schema name");
        _lastSchemaUtf8 = utf8.ToArray();
        return _lastSchema;
    }

    /// <summary>
    /// GTID/ANONYMOUS_GTID (control_events.h Gtid_event): flags, SID, GNO; then, when present, logical clock typecode
    /// 2 with last_committed and sequence_number, immediate commit timestamp (7 bytes, bit 55: the original one
    /// follows), transaction length (packed), immediate server version (bit 31: the original one follows), and the
    /// commit group ticket.
    /// </summary>
    private GtidEvent ReadGtid(BinlogEventType type, ReadOnlySpan<byte> body)
    {
        _gtid.Clear();
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        _gtid.Flags = reader.ReadByte("the flags");
        var uuid = new Guid(reader.ReadBytes(16, "the SID"), bigEndian: true);
        var gno = (long)reader.ReadUInt64("the GNO");
        if (type == BinlogEventType.Gtid && gno is < 1 or > MySqlGtidSet.MaxGno) throw new BinlogFormatException($"GNO {gno} is out of range");
        _gtid.Gtid = new MySqlGtid(uuid, null, gno);
        if (reader.Remaining > 0 && reader.ReadByte("the logical clock typecode") == 2)
        {
            _gtid.LastCommitted = (long)reader.ReadUInt64("last_committed");
            _gtid.SequenceNumber = (long)reader.ReadUInt64("sequence_number");
            if (reader.Remaining >= 7)
            {
                var immediate = reader.ReadUInt(7, "the immediate commit timestamp");
                const ulong originalFollows = 1UL << 55;
                _gtid.ImmediateCommitTimestamp = immediate & ~originalFollows;
                _gtid.OriginalCommitTimestamp = (immediate & originalFollows) != 0
                    ? reader.ReadUInt(7, "the original commit timestamp")
                    : _gtid.ImmediateCommitTimestamp;
                if (reader.Remaining > 0) _gtid.TransactionLength = reader.ReadPackedInteger("the transaction length");
                if (reader.Remaining >= 4)
                {
                    var version = reader.ReadUInt32("the immediate server version");
                    const uint originalVersionFollows = 1U << 31;
                    _gtid.ImmediateServerVersion = version & ~originalVersionFollows;
                    _gtid.OriginalServerVersion = (version & originalVersionFollows) != 0
                        ? reader.ReadUInt32("the original server version")
                        : _gtid.ImmediateServerVersion;
                    if (reader.Remaining >= 8) _gtid.CommitGroupTicket = reader.ReadUInt64("the commit group ticket");
                }
            }
        }
        return _gtid;
    }

    /// <summary>
    /// GTID_TAGGED (8.3+): one message of MySQL's serialization library (libs/mysql/serialization/readme.md): format
    /// version 1, message size and last non-ignorable field id as varlen integers, then fields, each its id and
    /// value, in Gtid_event::define_fields order: 0 flags, 1 UUID (16 varlen bytes), 2 GNO, 3 tag, 4 last_committed,
    /// 5 sequence_number, 6 immediate commit timestamp, 7 original commit timestamp, 8 transaction length,
    /// 9 immediate server version, 10 original server version, 11 commit group ticket. Absent optional fields take
    /// their defaults (original = immediate).
    /// </summary>
    private GtidEvent ReadTaggedGtid(ReadOnlySpan<byte> body)
    {
        _gtid.Clear();
        var at = 0;
        var version = Varlen(body, ref at, "the serialization format version");
        if (version != 1) throw new BinlogFormatException($"serialization format version {version} is not supported (only 1)");
        var size = Varlen(body, ref at, "the message size");
        if (size > (ulong)body.Length) throw new BinlogFormatException($"a message of {size} bytes in {body.Length}");
        var end = (int)size;
        var lastNonIgnorable = Varlen(body, ref at, "the last non-ignorable field id");
        if (lastNonIgnorable > 12) throw new BinlogFormatException($"field {lastNonIgnorable - 1} is required but not known to this decoder");
        var uuid = Guid.Empty;
        string? tag = null;
        long gno = 0;
        ulong? immediateTimestamp = null, originalTimestamp = null;
        uint? immediateVersion = null, originalVersion = null;
        while (at < end)
        {
            var id = Varlen(body[..end], ref at, "a field id");
            switch (id)
            {
                case 0: _gtid.Flags = (byte)Varlen(body[..end], ref at, "the flags"); break;
                case 1:
                {
                    Span<byte> bytes = stackalloc byte[16];
                    for (var i = 0; i < 16; i++) bytes[i] = (byte)Varlen(body[..end], ref at, "a UUID byte");
                    uuid = new Guid(bytes, bigEndian: true);
                    break;
                }
                case 2: gno = VarlenSigned(body[..end], ref at, "the GNO"); break;
                case 3:
                {
                    var length = Varlen(body[..end], ref at, "the tag length");
                    if (length > 32 || (ulong)(end - at) < length) throw new BinlogFormatException($"a tag of {length} bytes");
                    tag = length == 0 ? null : Encoding.ASCII.GetString(body.Slice(at, (int)length));
                    at += (int)length;
                    break;
                }
                case 4: _gtid.LastCommitted = VarlenSigned(body[..end], ref at, "last_committed"); break;
                case 5: _gtid.SequenceNumber = VarlenSigned(body[..end], ref at, "sequence_number"); break;
                case 6: immediateTimestamp = Varlen(body[..end], ref at, "the immediate commit timestamp"); break;
                case 7: originalTimestamp = Varlen(body[..end], ref at, "the original commit timestamp"); break;
                case 8: _gtid.TransactionLength = Varlen(body[..end], ref at, "the transaction length"); break;
                case 9: immediateVersion = (uint)Varlen(body[..end], ref at, "the immediate server version"); break;
                case 10: originalVersion = (uint)Varlen(body[..end], ref at, "the original server version"); break;
                case 11: _gtid.CommitGroupTicket = Varlen(body[..end], ref at, "the commit group ticket"); break;
                default:
                    // A newer writer's ignorable field: its type is unknown, so the rest of the message is skipped.
                    at = end;
                    break;
            }
        }
        if (gno is < 1 or > MySqlGtidSet.MaxGno) throw new BinlogFormatException($"GNO {gno} is out of range");
        _gtid.Gtid = new MySqlGtid(uuid, tag?.ToLowerInvariant(), gno);
        _gtid.ImmediateCommitTimestamp = immediateTimestamp;
        _gtid.OriginalCommitTimestamp = originalTimestamp ?? immediateTimestamp;
        _gtid.ImmediateServerVersion = immediateVersion;
        _gtid.OriginalServerVersion = originalVersion ?? immediateVersion;
        return _gtid;
    }

    private static ulong Varlen(ReadOnlySpan<byte> data, ref int at, string what)
    {
        var used = SerializationVarlen.ReadUnsigned(data[at..], out var value);
        if (used == 0) throw new BinlogFormatException($"{what} runs past the message (offset {at})");
        at += used;
        return value;
    }

    private static long VarlenSigned(ReadOnlySpan<byte> data, ref int at, string what)
    {
        var used = SerializationVarlen.ReadSigned(data[at..], out var value);
        if (used == 0) throw new BinlogFormatException($"{what} runs past the message (offset {at})");
        at += used;
        return value;
    }

    private PreviousGtidsEvent ReadPreviousGtids(ReadOnlySpan<byte> body)
    {
        var skip = FormatDescription!.PostHeaderLength(BinlogEventType.PreviousGtids, 0);
        try
        {
            return new PreviousGtidsEvent { GtidSet = MySqlGtidSet.Decode(body[Math.Min(skip, body.Length)..]) };
        }
        catch (FormatException e)
        {
            throw new BinlogFormatException(e.Message, e);
        }
    }

    /// <summary>
    /// TRANSACTION_PAYLOAD (codecs/binary.cpp Transaction_payload): TLV fields of packed integers (type, length,
    /// value): 1 payload size, 2 compression type (0 zstd, 255 none), 3 uncompressed size; type 0 ends them. The
    /// payload follows: the transaction's events, each with its header and no checksum.
    /// </summary>
    private TransactionPayloadEvent ReadTransactionPayload(in BinlogEventHeader header, ReadOnlyMemory<byte> body)
    {
        var reader = new SpanReader(body.Span, SpanErrors.BinlogFormat);
        ulong? payloadSize = null, uncompressed = null;
        byte? compression = null;
        while (true)
        {
            var type = reader.ReadPackedInteger("a field type");
            if (type == 0) break;
            var length = reader.ReadPackedLength("a field length");
            var field = new SpanReader(reader.ReadBytes(length, "a field"), SpanErrors.BinlogFormat);
            switch (type)
            {
                case 1: payloadSize = field.ReadPackedInteger("the payload size"); break;
                case 2:
                    var value = field.ReadPackedInteger("the compression type");
                    compression = value is 0 or 255 ? (byte)value : throw new BinlogFormatException($"compression type {value} is not known (0 zstd, 255 none)");
                    break;
                case 3: uncompressed = field.ReadPackedInteger("the uncompressed size"); break;
            }
        }
        if (payloadSize is null || compression is null) throw new BinlogFormatException("the payload size or compression type is missing");
        if (payloadSize != (ulong)reader.Remaining)
            throw new BinlogFormatException($"the payload size says {payloadSize} bytes, {reader.Remaining} follow");
        var payload = body[reader.Position..];
        _payloadEvent.CompressionType = compression.Value;
        _payloadEvent.PayloadSize = payloadSize.Value;
        _payloadEvent.UncompressedSize = uncompressed;

        if (compression == 255)
        {
            _payload = payload;
        }
        else
        {
            var size = uncompressed ?? Decompressor.GetDecompressedSize(payload.Span);
            if (size == 0 || size > (ulong)_options.MaxDecompressedSize)
                throw new BinlogFormatException($"a payload of {size} bytes decompressed (the limit is {_options.MaxDecompressedSize})");
            if (_payloadBuffer.Length < (int)size) _payloadBuffer = new byte[Math.Max((int)size, _payloadBuffer.Length * 2)];
            _zstd ??= new Decompressor();
            int written;
            try
            {
                written = _zstd.Unwrap(payload.Span, _payloadBuffer.AsSpan(0, (int)size));
            }
            catch (ZstdException e)
            {
                throw new BinlogFormatException($"the zstd payload does not decompress: {e.Message}", e);
            }
            if ((ulong)written != size) throw new BinlogFormatException($"the payload decompressed to {written} bytes, the event says {size}");
            _payload = _payloadBuffer.AsMemory(0, written);
        }
        _payloadOffset = 0;
        _inPayload = true;
        _payloadHeader = header;
        return _payloadEvent;
    }

    private HeartbeatEvent ReadHeartbeat(in BinlogEventHeader header, ReadOnlySpan<byte> body)
    {
        _heartbeat.LogFileName = Utf8(body, "the log file name");
        _heartbeat.LogPosition = header.LogPosition;
        return _heartbeat;
    }

    /// <summary>HEARTBEAT_v2 (codecs/binary.cpp Heartbeat): TLV fields, 1 the log file name, 2 the position (packed); 0 ends them.</summary>
    private HeartbeatEvent ReadHeartbeatV2(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        _heartbeat.LogFileName = "";
        _heartbeat.LogPosition = 0;
        while (!reader.IsAtEnd)
        {
            var type = reader.ReadPackedInteger("a field type");
            if (type == 0) break;
            var length = reader.ReadPackedLength("a field length");
            var field = reader.ReadBytes(length, "a field");
            if (type == 1) _heartbeat.LogFileName = Utf8(field, "the log file name");
            else if (type == 2) _heartbeat.LogPosition = new SpanReader(field, SpanErrors.BinlogFormat).ReadPackedInteger("the log position");
        }
        return _heartbeat;
    }

    /// <summary>
    /// MariaDB GTID (log_event.cc Gtid_log_event): sequence number u64, domain id u32, flags u8; then a commit id u64
    /// (FL_GROUP_COMMIT_ID), or an XID (XA flags), or 6 zero bytes; then, in 10.5+, an extra flags byte and its data.
    /// </summary>
    private MariaDbGtidEvent ReadMariaDbGtid(in BinlogEventHeader header, ReadOnlyMemory<byte> body)
    {
        var reader = new SpanReader(body.Span, SpanErrors.BinlogFormat);
        var sequence = reader.ReadUInt64("the sequence number");
        var domain = reader.ReadUInt32("the domain id");
        var flags = (MariaDbGtidFlags)reader.ReadByte("the flags");
        _mariaDbGtid.Gtid = new MariaDbGtid(domain, header.ServerId, sequence);
        _mariaDbGtid.Flags = flags;
        _mariaDbGtid.CommitId = null;
        _mariaDbGtid.Xid = default;
        _mariaDbGtid.ExtraFlags = null;
        if ((flags & MariaDbGtidFlags.GroupCommitId) != 0)
        {
            _mariaDbGtid.CommitId = reader.ReadUInt64("the commit id");
        }
        else if ((flags & (MariaDbGtidFlags.PreparedXa | MariaDbGtidFlags.CompletedXa)) != 0)
        {
            var start = reader.Position;
            reader.Skip(4, "the XA format id");
            var gtridLength = reader.ReadByte("the XA gtrid length");
            var bqualLength = reader.ReadByte("the XA bqual length");
            reader.Skip(gtridLength + bqualLength, "the XA id");
            _mariaDbGtid.Xid = body[start..reader.Position];
        }
        else
        {
            reader.Skip(Math.Min(6, reader.Remaining), "the reserved bytes");
        }
        if (!reader.IsAtEnd) _mariaDbGtid.ExtraFlags = reader.ReadByte("the extra flags");
        return _mariaDbGtid;
    }

    /// <summary>MariaDB GTID_LIST: a count (low 28 bits; flags above), then domain u32, server u32, sequence u64 per GTID.</summary>
    private static MariaDbGtidListEvent ReadGtidList(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var value = reader.ReadUInt32("the GTID count");
        var count = (int)(value & 0x0FFFFFFF);
        if (count > reader.Remaining / 16) throw new BinlogFormatException($"{count} GTIDs do not fit the event");
        var gtids = new MariaDbGtid[count];
        for (var i = 0; i < count; i++)
        {
            var domain = reader.ReadUInt32("a domain id");
            var server = reader.ReadUInt32("a server id");
            gtids[i] = new MariaDbGtid(domain, server, reader.ReadUInt64("a sequence number"));
        }
        return new MariaDbGtidListEvent { Gtids = gtids, ListFlags = (byte)(value >> 28) };
    }

    private static BinlogCheckpointEvent ReadCheckpoint(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body, SpanErrors.BinlogFormat);
        var length = reader.ReadUInt32("the file name length");
        return new BinlogCheckpointEvent { CheckpointFileName = Utf8(reader.ReadBytes((int)Math.Min(length, int.MaxValue), "the file name"), "the file name") };
    }

    private AnnotateRowsEvent ReadAnnotateRows(ReadOnlyMemory<byte> body)
    {
        _annotateRows.Set(body);
        return _annotateRows;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes, string what) => BinlogText.Utf8(bytes, what);

    private sealed record TableRequest(string Schema, string Table, TableColumns? Columns);

    /// <summary>A table id's TABLE_MAP bytes (to recognise it unchanged) and its decoded table, null when not requested.</summary>
    private sealed record TableEntry(byte[] Bytes, BinlogTable? Table);
}
