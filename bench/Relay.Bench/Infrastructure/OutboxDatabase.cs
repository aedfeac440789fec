namespace Relay.Bench.Infrastructure;

/// <summary>
/// A database holding outbox tables for the bench: one table per run (so runs never see each other's rows), filled
/// server-side in transactions of a chosen size, written by paced writers for latency runs, and dropped after.
/// </summary>
public abstract class OutboxDatabase
{
    public const string DatabaseName = "relay_bench";

    /// <summary>A fresh outbox table (and what log tailing needs for it) for the run.</summary>
    public abstract Task PrepareAsync(string run);

    /// <summary>Inserts <paramref name="rows"/> rows, <paramref name="rowsPerTransaction"/> per transaction; payloads are JSON of about <paramref name="payloadBytes"/> bytes.</summary>
    public abstract Task FillAsync(string run, int rows, int rowsPerTransaction, int payloadBytes);

    /// <summary>The relay's source keys for the run's table.</summary>
    public abstract Dictionary<string, string> RelayEnvironment(string run, SourceKind kind, string sourceName = "src");

    /// <summary>A writer connection that inserts rows n = first..first+count-1 (one transaction per call).</summary>
    public abstract Task<IOutboxWriter> OpenWriterAsync(string run, int payloadBytes);

    public abstract Task DropAsync(string run);

    /// <summary>Rows ever inserted into the run's table (its seq counter): a polling relay deletes the rows it published.</summary>
    public abstract Task<long> InsertedAsync(string run);

    public static string Table(string run) => "bench_" + run.Replace('-', '_').Replace('.', '_');
}
