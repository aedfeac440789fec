using System.Buffers.Binary;
using MySqlConnector;
using Relay.Binlog.Events;

namespace Relay.Binlog.Tests.Events;

/// <summary>
/// Reads what a server wrote to its binary log between two positions, straight from its binlog files (the tests run
/// as root on the server's machine), as the events a dump connection would deliver: each file's FORMAT_DESCRIPTION
/// first, then the events of the range.
/// </summary>
internal sealed class BinlogCapture
{
    private BinlogCapture(string directory, string fromFile, long fromPosition)
    {
        Directory = directory;
        FromFile = fromFile;
        FromPosition = fromPosition;
    }

    public string Directory { get; }

    public string FromFile { get; }

    public long FromPosition { get; }

    /// <summary>Notes the server's current binlog position; <paramref name="connectionString"/> needs BINLOG MONITOR.</summary>
    public static async Task<BinlogCapture> StartAsync(string connectionString, string? directory = null)
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        directory ??= Path.GetDirectoryName(await ScalarAsync<string>(conn, "SELECT @@log_bin_basename"))!;
        if (!System.IO.Directory.Exists(directory))
            throw new InvalidOperationException($"The server's binlog directory {directory} is not on this machine: these tests read its files.");
        var (file, position) = await MasterStatusAsync(conn);
        return new BinlogCapture(directory, file, position);
    }

    /// <summary>The events from the start position to the server's current one, with the file each belongs to.</summary>
    public async Task<List<(string File, ReadOnlyMemory<byte> Event)>> ReadAsync(string connectionString)
    {
        await using var conn = new MySqlConnection(connectionString);
        await conn.OpenAsync();
        var (toFile, toPosition) = await MasterStatusAsync(conn);
        var events = new List<(string, ReadOnlyMemory<byte>)>();
        var files = System.IO.Directory.GetFiles(Directory, Path.GetFileNameWithoutExtension(FromFile) + ".*")
            .Select(Path.GetFileName).Where(f => f is not null && !f.EndsWith(".index", StringComparison.Ordinal) && string.CompareOrdinal(f, FromFile) >= 0 && string.CompareOrdinal(f, toFile) <= 0)
            .Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(Directory, file!));
            var from = file == FromFile ? FromPosition : 4;
            var to = file == toFile ? toPosition : bytes.Length;
            foreach (var e in Events(bytes, from, to)) events.Add((file!, e));
        }
        return events;
    }

    /// <summary>A binlog file's events in [from, to), its FORMAT_DESCRIPTION first when the range starts later.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Events(byte[] file, long from, long to)
    {
        if (file.Length < 4 || file[0] != 0xFE || file[1] != (byte)'b' || file[2] != (byte)'i' || file[3] != (byte)'n')
            throw new InvalidDataException("Not a binlog file (no 0xFE 'bin' magic).");
        var fdeSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4 + 9));
        if (from > 4) yield return file.AsMemory(4, fdeSize);
        var position = from;
        to = Math.Min(to, file.Length);
        while (position + BinlogEventHeader.Length <= to)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)position + 9));
            if (position + size > to) break;
            yield return file.AsMemory((int)position, size);
            position += size;
        }
    }

    private static async Task<(string File, long Position)> MasterStatusAsync(MySqlConnection conn)
    {
        await using var cmd = new MySqlCommand("SHOW MASTER STATUS", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException("SHOW MASTER STATUS returned nothing: is the binary log on?");
        return (reader.GetString(0), Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<T> ScalarAsync<T>(MySqlConnection conn, string sql)
    {
        await using var cmd = new MySqlCommand(sql, conn);
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
