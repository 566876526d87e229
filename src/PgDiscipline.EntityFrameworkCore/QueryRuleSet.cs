namespace PgDiscipline;

/// <summary>What a query rule does to the commands it matches.</summary>
public enum QueryRuleAction
{
    /// <summary>Refuse the command with <see cref="QueryBlockedException"/>.</summary>
    Block,

    /// <summary>Token bucket: at most <see cref="QueryRule.PermitsPerSecond"/> commands per second.</summary>
    RateLimit,
}

/// <summary>One rule, matched by query fingerprint.</summary>
public sealed class QueryRule
{
    /// <summary>Rule id, unique within its source; named in exceptions, logs and metrics.</summary>
    public string Id { get; set; } = "";

    /// <summary>The 16-hex-digit fingerprint the rule applies to.</summary>
    public string Fingerprint { get; set; } = "";

    /// <summary>What to do.</summary>
    public QueryRuleAction Action { get; set; }

    /// <summary>Why (shown to developers and on-call).</summary>
    public string Reason { get; set; } = "";

    /// <summary>For <see cref="QueryRuleAction.RateLimit"/>: permits per second.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary>Optional expiry (UTC); the rule stops applying after it.</summary>
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
    public QueryRule RateLimit(string fingerprint, double permitsPerSecond, string reason = "rate limited", string? id = null)
        => Add(new QueryRule { Id = id ?? $"limit-{fingerprint}", Fingerprint = fingerprint, Action = QueryRuleAction.RateLimit, PermitsPerSecond = permitsPerSecond, Reason = reason });

    private QueryRule Add(QueryRule rule)
    {
        Items.Add(rule);
        return rule;
    }
}
