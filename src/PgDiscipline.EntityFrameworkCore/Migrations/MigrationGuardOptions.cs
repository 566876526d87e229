namespace PgDiscipline;

/// <summary>The runtime migration guard (applies to migrations run through EF Core with PgDiscipline enabled).</summary>
public sealed class MigrationGuardOptions
{
    /// <summary>Turn the guard on or off. Default: on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>lock_timeout</c> for every migration statement (not for CONCURRENTLY ones). Default 5 s.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>statement_timeout</c> for migration statements (never for CONCURRENTLY ones). Default: none.</summary>
    public TimeSpan? StatementTimeout { get; set; }

    /// <summary>Refuse statements with an error-level lint finding unless the migration allows the rule. Default: true.</summary>
    public bool RefuseUnsafe { get; set; } = true;

    /// <summary>Attempts for a statement (outside a transaction) or a migration (with <c>MigrateWithRetryAsync</c>) that
    /// gave up on the lock timeout. Default 4.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First backoff after a lock timeout; doubles each attempt, up to <see cref="MaxRetryBackoff"/>. Default 500 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two attempts (30 s): many attempts must not mean hours of waiting.</summary>
    public static readonly TimeSpan MaxRetryBackoff = TimeSpan.FromSeconds(30);

    internal static TimeSpan NextBackoff(TimeSpan backoff) => backoff >= MaxRetryBackoff / 2 ? MaxRetryBackoff : backoff + backoff;
}
