namespace PgDiscipline;

/// <summary>What a query rule does to the commands it matches.</summary>
public enum QueryRuleAction
{
    /// <summary>Refuse the command with <see cref="QueryBlockedException"/>.</summary>
    Block,

    /// <summary>Token bucket: at most <see cref="QueryRule.PermitsPerSecond"/> commands per second (burst
    /// <see cref="QueryRule.Burst"/>); a command over the limit waits up to <see cref="QueryRule.MaxQueueTime"/>, then gets
    /// <see cref="QueryRateLimitedException"/>.</summary>
    RateLimit,

    /// <summary>At most <see cref="QueryRule.MaxConcurrency"/> matching commands in flight; others wait up to
    /// <see cref="QueryRule.MaxQueueTime"/>.</summary>
    Concurrency,

    /// <summary>Overrides <c>statement_timeout</c> for matching commands with <see cref="QueryRule.Timeout"/>.</summary>
    Timeout,

    /// <summary>Sends matching replica-safe reads to the replica pool named by <see cref="QueryRule.RouteTo"/>, or to the
    /// primary when it is <c>primary</c>.</summary>
    Route,
}

/// <summary>One rule. It matches by exactly one of <see cref="Fingerprint"/>, <see cref="Tag"/> or <see cref="Table"/>.</summary>
public sealed class QueryRule
{
    /// <summary>Rule id, unique within its source; named in exceptions, logs and metrics.</summary>
    public string Id { get; set; } = "";

    /// <summary>The 16-hex-digit fingerprint the rule applies to (<c>pgdiscipline fingerprint "&lt;sql&gt;"</c> prints it).</summary>
    public string? Fingerprint { get; set; }

    /// <summary>A query tag (an EF Core <c>TagWith</c> line, compared exactly) the rule applies to.</summary>
    public string? Tag { get; set; }

    /// <summary>A table name (as <c>SqlStatement.Tables</c> reports it) the rule applies to.</summary>
    public string? Table { get; set; }

    /// <summary>What to do.</summary>
    public QueryRuleAction Action { get; set; }

    /// <summary>Why (shown in exceptions, logs and reports).</summary>
    public string Reason { get; set; } = "";

    /// <summary><see cref="QueryRuleAction.RateLimit"/>: permits per second.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary><see cref="QueryRuleAction.RateLimit"/>: bucket size (default: one second's worth, at least 1).</summary>
    public int? Burst { get; set; }

    /// <summary><see cref="QueryRuleAction.Concurrency"/>: commands in flight at most.</summary>
    public int MaxConcurrency { get; set; }

    /// <summary>RateLimit / Concurrency: how long a command may wait for a permit (default: not at all).</summary>
    public TimeSpan MaxQueueTime { get; set; }

    /// <summary><see cref="QueryRuleAction.Timeout"/>: the statement timeout to use.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary><see cref="QueryRuleAction.Route"/>: a replica pool name, or <c>primary</c>.</summary>
    public string? RouteTo { get; set; }

    /// <summary>Optional expiry; the rule stops applying after it.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>Rules defined in code or configuration (<c>PgDiscipline:Rules</c>).</summary>
public sealed class QueryRuleSet
{
    /// <summary>All rules, in definition order.</summary>
    public IList<QueryRule> Items { get; } = new List<QueryRule>();

    /// <summary>Blocks every command whose fingerprint is <paramref name="fingerprint"/>.</summary>
    public QueryRule Block(string fingerprint, string reason, string? id = null)
        => Add(new QueryRule { Id = id ?? $"block-{fingerprint}", Fingerprint = fingerprint, Action = QueryRuleAction.Block, Reason = reason });

    /// <summary>Limits commands with this fingerprint to <paramref name="permitsPerSecond"/>.</summary>
    public QueryRule RateLimit(string fingerprint, double permitsPerSecond, string reason = "rate limited", string? id = null, TimeSpan maxQueueTime = default)
        => Add(new QueryRule
        {
            Id = id ?? $"limit-{fingerprint}",
            Fingerprint = fingerprint,
            Action = QueryRuleAction.RateLimit,
            PermitsPerSecond = permitsPerSecond,
            MaxQueueTime = maxQueueTime,
            Reason = reason,
        });

    /// <summary>Adds any rule.</summary>
    public QueryRule Add(QueryRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Items.Add(rule);
        return rule;
    }
}
