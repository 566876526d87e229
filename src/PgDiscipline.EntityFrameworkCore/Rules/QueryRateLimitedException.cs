namespace PgDiscipline;

/// <summary>Thrown when a command exceeds a <c>RateLimit</c> or <c>Concurrency</c> rule and may not wait.</summary>
public sealed class QueryRateLimitedException : CommandRefusedException
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
