namespace Relay;

/// <summary>
/// What `relay validate --connect` and `relay setup` need to know about a source kind: how to check the
/// database (reachable, rights, server settings, the outbox table and the kind's objects) and the DDL that
/// prepares it (outbox table, publication and slot, grants). Created by
/// <see cref="IOutboxSourceFactory.CreateSetup"/>; a kind without one is reported as "no checks".
/// </summary>
public interface ISourceSetup
{
    /// <summary>
    /// Connects and checks everything the source needs; each problem says what is wrong and how to fix it.
    /// A database that cannot be reached is a problem too, never an exception. Empty when all is well.
    /// </summary>
    Task<IReadOnlyList<SetupProblem>> CheckAsync(CancellationToken cancellationToken);

    /// <summary>The statements that prepare the database, in order, each safe to run again (idempotent).</summary>
    IReadOnlyList<SetupStep> Script();

    /// <summary>Runs <see cref="Script"/> in order on the source's connection; stops at the first failure, which it returns with its fix.</summary>
    Task<SetupProblem?> ApplyAsync(CancellationToken cancellationToken);
}
