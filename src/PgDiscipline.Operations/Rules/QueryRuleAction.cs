namespace PgDiscipline;

/// <summary>What a query rule does to the commands it matches.</summary>
public enum QueryRuleAction
{
    /// <summary>Refuse the command with <c>QueryBlockedException</c>.</summary>
    Block,

    /// <summary>Token bucket: at most <see cref="QueryRule.PermitsPerSecond"/> commands per second (burst
    /// <see cref="QueryRule.Burst"/>); a command over the limit waits up to <see cref="QueryRule.MaxQueueTime"/>, then gets
    /// <c>QueryRateLimitedException</c>.</summary>
    RateLimit,

    /// <summary>At most <see cref="QueryRule.MaxConcurrency"/> matching commands in flight; others wait up to
    /// <see cref="QueryRule.MaxQueueTime"/>.</summary>
    Concurrency,

    /// <summary>Overrides <c>statement_timeout</c> for matching commands with <see cref="QueryRule.Timeout"/>.</summary>
    Timeout,

    /// <summary>Sends matching replica-safe reads to the replica pool named by <see cref="QueryRule.RouteTo"/>, or to the
    /// primary when it is <c>primary</c>.</summary>
    Route,

    /// <summary>Coalesces identical matching reads in flight in this process: while one runs, the same command text with the
    /// same parameter values waits for it and gets its rows (replica-safe reads outside transactions only; see
    /// <c>PgDisciplineOptions.Coalescing</c>).</summary>
    Coalesce,
}
