namespace Relay.Bench.Infrastructure;

/// <summary>One writer connection: each call commits one transaction of outbox rows numbered first..first+count-1.</summary>
public interface IOutboxWriter : IAsyncDisposable
{
    Task InsertAsync(long first, int count);
}
