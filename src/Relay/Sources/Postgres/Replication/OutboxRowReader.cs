using System.Buffers;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace Relay.Sources.Postgres.Replication;

/// <summary>
/// Turns pgoutput inserts into <see cref="OutboxRow"/>s. Values arrive in text format (protocol version 1) and
/// leave in the normal form of <see cref="ValueText"/> (<see cref="PostgresText"/>): as the UTF-8 bytes received where
/// the server's text is already that form (text, json, uuid, integers, ...), else converted. Relations of other
/// tables are remembered only to be ignored.
/// </summary>
internal sealed class OutboxRowReader(PostgresTableName table)
{
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
            var utf8 = new bool[count];
            for (var i = 0; i < count; i++)
            {
                var column = message.Columns[i];
                names[i] = column.ColumnName;
                types[i] = column.DataTypeId;
                utf8[i] = PostgresText.IsNormalAsPrinted(types[i]);
            }
            relation = new Relation(new OutboxColumns(names, utf8), types);
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
            if (i < values.Length) values[i] = await ReadValueAsync(value, relation.Types[i], relation.Columns.IsUtf8Text(i), cancellationToken);
            i++;
        }
        return new OutboxRow(relation.Columns, values);
    }

    private static async ValueTask<object?> ReadValueAsync(ReplicationValue value, uint type, bool utf8, CancellationToken cancellationToken)
    {
        if (value.IsDBNull || value.IsUnchangedToastedValue) return null;
        var length = value.Length;
        if (utf8)
        {
            // Text whose printed form is its normal form: kept as the bytes pgoutput sent, which the router publishes as they are.
            var bytes = length == 0 ? [] : new byte[length];
            await using (var stream = value.GetStream())
                await stream.ReadExactlyAsync(bytes, cancellationToken);
            return bytes;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await using (var stream = value.GetStream())
                await stream.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
            return PostgresText.Normalize(type, buffer.AsSpan(0, length));
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
