using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Relay.Sources.Postgres.Polling;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Sources.Polling;

/// <summary>Builds polling sources the way the host does: from a configuration section, through the factory.</summary>
internal static class PollingHarness
{
    public static SourceContext Context(string connectionString, IDictionary<string, string?>? keys = null, string name = "orders",
        string kind = PostgresPollingSourceFactory.KindName)
    {
        var prefix = $"Relay:Sources:{name}";
        var values = new Dictionary<string, string?>
        {
            [$"{prefix}:Kind"] = kind,
            [$"{prefix}:ConnectionString"] = connectionString,
            [$"{prefix}:PollInterval"] = "00:00:00.05",
        };
        foreach (var (key, value) in keys ?? new Dictionary<string, string?>()) values[$"{prefix}:{key}"] = value;
        return RelayServices.Source(values, name);
    }

    public static IOutboxSource Create(string connectionString, IDictionary<string, string?>? keys = null, string name = "orders",
        string kind = PostgresPollingSourceFactory.KindName)
    {
        var context = Context(connectionString, keys, name, kind);
        return context.Services.GetServices<IOutboxSourceFactory>().Single(f => f.Kind == kind).Create(context);
    }

    /// <summary>A polling source of <paramref name="db"/>'s engine.</summary>
    public static IOutboxSource Create(OutboxDatabase db, IDictionary<string, string?>? keys = null) =>
        Create(db.ConnectionString, keys, kind: db.PollingKind);

    /// <summary>A source that holds its lease, read from <paramref name="committed"/>.</summary>
    public static Task<(IOutboxSource Source, BatchReader Reader)> StartAsync(
        string connectionString, IDictionary<string, string?>? keys = null, SourcePosition? committed = null,
        string kind = PostgresPollingSourceFactory.KindName) =>
        StartAsync(Create(connectionString, keys, kind: kind), committed);

    /// <summary>A polling source of <paramref name="db"/>'s engine that holds its lease, read from <paramref name="committed"/>.</summary>
    public static Task<(IOutboxSource Source, BatchReader Reader)> StartAsync(
        OutboxDatabase db, IDictionary<string, string?>? keys = null, SourcePosition? committed = null) =>
        StartAsync(Create(db, keys), committed);

    private static async Task<(IOutboxSource Source, BatchReader Reader)> StartAsync(IOutboxSource source, SourcePosition? committed)
    {
        await source.AcquireAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return (source, new BatchReader(source, committed));
    }
}

/// <summary>Pulls batches from a source's enumerator, every wait bounded, the way the pipeline does.</summary>
internal sealed class BatchReader : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private readonly IAsyncEnumerator<SourceBatch> _enumerator;
    private Task<bool>? _pending;

    public BatchReader(IOutboxSource source, SourcePosition? committed)
        => _enumerator = source.ReadAsync(committed, _stop.Token).GetAsyncEnumerator(_stop.Token);

    public async Task<SourceBatch> NextAsync(TimeSpan? timeout = null)
    {
        var pending = _pending ??= _enumerator.MoveNextAsync().AsTask();
        bool more;
        try { more = await pending.WaitAsync(timeout ?? Timeout); }
        finally { if (pending.IsCompleted) _pending = null; } // a timed-out read stays pending
        Assert.True(more, "The source ended.");
        return _enumerator.Current;
    }

    /// <summary>Asserts the source yields nothing for <paramref name="within"/>; the pending read stays for the next call.</summary>
    public async Task AssertNoBatchAsync(TimeSpan within)
    {
        _pending ??= _enumerator.MoveNextAsync().AsTask();
        if (await Task.WhenAny(_pending, Task.Delay(within)) != _pending) return;
        var more = await _pending;
        _pending = null;
        Assert.Fail(more ? $"Expected no batch, got {_enumerator.Current.Rows.Count} row(s) at {_enumerator.Current.Position}." : "The source ended.");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_pending is not null)
        {
            try { await _pending.WaitAsync(Timeout); }
            catch (Exception e) when (e is not TimeoutException) { } // cancelled, or a failure the test already saw
        }
        await _enumerator.DisposeAsync().AsTask().WaitAsync(Timeout);
    }
}
