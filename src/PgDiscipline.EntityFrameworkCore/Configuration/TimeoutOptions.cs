namespace PgDiscipline;

/// <summary>Server-side timeouts. <c>null</c> leaves the server's own setting alone.</summary>
public sealed class TimeoutOptions
{
    /// <summary><c>statement_timeout</c>.</summary>
    public TimeSpan? Statement { get; set; }

    /// <summary><c>lock_timeout</c>.</summary>
    public TimeSpan? Lock { get; set; }

    /// <summary><c>idle_in_transaction_session_timeout</c>.</summary>
    public TimeSpan? IdleInTransaction { get; set; }
}
