namespace Relay.Sources.LogTailing;

/// <summary>What a log source decoded: a transaction began, an outbox row was inserted in it, or it committed.</summary>
internal readonly record struct LogChange<TTransaction>(LogChangeKind Kind, TTransaction Transaction, OutboxRow? Row)
{
    public static LogChange<TTransaction> Begin(TTransaction transaction) => new(LogChangeKind.Begin, transaction, null);

    public static LogChange<TTransaction> Insert(OutboxRow row) => new(LogChangeKind.Row, default!, row);

    public static LogChange<TTransaction> Commit(TTransaction transaction) => new(LogChangeKind.Commit, transaction, null);
}
