namespace PgDiscipline;

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
