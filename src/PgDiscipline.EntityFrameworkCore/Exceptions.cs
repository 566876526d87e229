namespace PgDiscipline;

/// <summary>Base class of the exceptions PgDiscipline throws for a command it refuses to run.</summary>
public abstract class PgDisciplineException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected PgDisciplineException(string message, string fingerprint, string ruleId, Exception? innerException = null)
        : base(message, innerException)
    {
        Fingerprint = fingerprint;
        RuleId = ruleId;
    }

    /// <summary>The 16-hex-digit fingerprint of the refused command (see <c>PgDiscipline.Sql.SqlFingerprint</c>).</summary>
    public string Fingerprint { get; }

    /// <summary>The id of the rule that refused it.</summary>
    public string RuleId { get; }
}

/// <summary>Thrown when a command matches a <c>Block</c> rule.</summary>
public sealed class QueryBlockedException : PgDisciplineException
{
    /// <summary>Creates the exception; the message names the fingerprint, the rule and the reason (never a literal value).</summary>
    public QueryBlockedException(string fingerprint, string ruleId, string reason)
        : base($"Query {fingerprint} is blocked by rule '{ruleId}': {reason}", fingerprint, ruleId)
    {
        Reason = reason;
    }

    /// <summary>Why the operator blocked this query pattern.</summary>
    public string Reason { get; }
}

/// <summary>Thrown when a command exceeds a <c>RateLimit</c> or <c>Concurrency</c> rule and may not wait.</summary>
public sealed class QueryRateLimitedException : PgDisciplineException
{
    /// <summary>Creates the exception.</summary>
    public QueryRateLimitedException(string fingerprint, string ruleId, string reason, TimeSpan? retryAfter = null)
        : base($"Query {fingerprint} is rate-limited by rule '{ruleId}': {reason}", fingerprint, ruleId)
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Why the rule exists.</summary>
    public string Reason { get; }

    /// <summary>When a retry may succeed, if the limiter knows.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Thrown when a read must go to a replica (<c>FallbackToPrimary = false</c>) and no replica of the pool can serve it.</summary>
public sealed class ReplicaUnavailableException : PgDisciplineException
{
    /// <summary>Creates the exception.</summary>
    public ReplicaUnavailableException(string fingerprint, string pool)
        : base($"Query {fingerprint}: no healthy replica in pool '{pool}' and FallbackToPrimary is off", fingerprint, "routing")
    {
        Pool = pool;
    }

    /// <summary>The replica pool that had no healthy replica.</summary>
    public string Pool { get; }
}
