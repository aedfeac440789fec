using System.Buffers;
using System.Text;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Turns pgoutput inserts into <see cref="OutboxRow"/>s. Values arrive in text format (protocol version 1):
/// bytea is decoded back to its bytes, everything else is kept as its text (text, json, jsonb, uuid, and
/// other types as PostgreSQL prints them). Relations of other tables are remembered only to be ignored.
/// </summary>
internal sealed class OutboxRowReader(PostgresTableName table)
{
    private const uint ByteaOid = 17;

    private readonly Dictionary<uint, Relation> _relations = new();

    /// <summary>A Relation message precedes the first change of a table in a session and follows every schema change.</summary>
    public void Update(RelationMessage message)
    {
        Relation relation;
        if (message.Namespace == table.Schema && message.RelationName == table.Table)
        {
            var count = message.Columns.Count;
            var names = new string[count];
            var types = new uint[count];
            for (var i = 0; i < count; i++)
            {
                var column = message.Columns[i];
                names[i] = column.ColumnName;
                types[i] = column.DataTypeId;
            }
            relation = new Relation(new OutboxColumns(names), types);
        }
        else
        {
            relation = Relation.Other;
        }
        _relations[message.RelationId] = relation;
    }

    public bool IsOutbox(InsertMessage insert) =>
        _relations.TryGetValue(insert.Relation.RelationId, out var relation) && relation.Columns is not null;

    public async ValueTask<OutboxRow> ReadAsync(InsertMessage insert, CancellationToken cancellationToken)
    {
        var relation = _relations[insert.Relation.RelationId];
        var values = new object?[relation.Columns!.Count];
        var i = 0;
        await foreach (var value in insert.NewRow.WithCancellation(cancellationToken))
        {
            // A column added after the Relation message cannot appear without a new Relation message; guard anyway.
            if (i < values.Length) values[i] = await ReadValueAsync(value, relation.Types[i], cancellationToken);
            i++;
        }
        return new OutboxRow(relation.Columns, values);
    }

    private static async ValueTask<object?> ReadValueAsync(ReplicationValue value, uint type, CancellationToken cancellationToken)
    {
        if (value.IsDBNull || value.IsUnchangedToastedValue) return null;
        var length = value.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await using (var stream = value.GetStream())
                await stream.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
            var text = buffer.AsSpan(0, length);
            return type == ByteaOid ? ByteaText.Decode(text) : Encoding.UTF8.GetString(text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record Relation(OutboxColumns? Columns, uint[] Types)
    {
        public static readonly Relation Other = new(null, []);
    }
}

/// <summary>bytea's text output: hex ("\x0a0b", the default) or escape (bytea_output = escape).</summary>
internal static class ByteaText
{
    public static byte[] Decode(ReadOnlySpan<byte> text)
    {
        if (text.Length >= 2 && text[0] == '\\' && text[1] == 'x') return DecodeHex(text[2..]);
        return DecodeEscape(text);
    }

    private static byte[] DecodeHex(ReadOnlySpan<byte> hex)
    {
        if (hex.Length % 2 != 0) throw new FormatException("bytea hex text has an odd number of digits.");
        var bytes = new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(Nibble(hex[2 * i]) << 4 | Nibble(hex[2 * i + 1]));
        return bytes;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => throw new FormatException("bytea hex text has a non-hex digit."),
    };

    private static byte[] DecodeEscape(ReadOnlySpan<byte> text)
    {
        var bytes = new byte[text.Length]; // never longer than its text
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes[n++] = text[i];
            }
            else if (i + 1 < text.Length && text[i + 1] == '\\')
            {
                bytes[n++] = (byte)'\\';
                i++;
            }
            else if (i + 3 < text.Length && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) && IsOctal(text[i + 3]))
            {
                bytes[n++] = (byte)((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0'));
                i += 3;
            }
            else
            {
                throw new FormatException("bytea escape text has an invalid escape sequence.");
            }
        }
        return bytes.AsSpan(0, n).ToArray();
    }

    private static bool IsOctal(byte c) => c is >= (byte)'0' and <= (byte)'7';
}
