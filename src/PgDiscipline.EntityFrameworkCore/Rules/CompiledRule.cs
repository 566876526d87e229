using System.Threading.RateLimiting;

namespace PgDiscipline.Rules;

/// <summary>A rule after validation, with its limiter.</summary>
internal sealed class CompiledRule : IDisposable
{
    public CompiledRule(QueryRule rule, string source)
    {
        Rule = rule;
        Source = source;
        Id = rule.Id;
        Action = rule.Action;
        Reason = rule.Reason;
        ExpiresAt = rule.ExpiresAt;
        Limiter = rule.Action switch
        {
            QueryRuleAction.RateLimit => CreateTokenBucket(rule),
            QueryRuleAction.Concurrency => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = rule.MaxConcurrency,
                QueueLimit = rule.MaxQueueTime > TimeSpan.Zero ? int.MaxValue : 0,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }),
            _ => null,
        };
    }

    public QueryRule Rule { get; }

    public string Source { get; }

    public string Id { get; }

    public QueryRuleAction Action { get; }

    public string Reason { get; }

    public DateTimeOffset? ExpiresAt { get; }

    public RateLimiter? Limiter { get; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && now >= e;

    /// <summary>Same definition (so a reload keeps the limiter's state).</summary>
    public bool SameDefinition(QueryRule other) =>
        Rule.Id == other.Id && Rule.Fingerprint == other.Fingerprint && Rule.Tag == other.Tag && Rule.Table == other.Table
        && Rule.Action == other.Action && Rule.PermitsPerSecond.Equals(other.PermitsPerSecond) && Rule.Burst == other.Burst
        && Rule.MaxConcurrency == other.MaxConcurrency && Rule.MaxQueueTime == other.MaxQueueTime && Rule.Timeout == other.Timeout
        && Rule.Reason == other.Reason && Rule.ExpiresAt == other.ExpiresAt && Rule.RouteTo == other.RouteTo;

    public void Dispose() => Limiter?.Dispose();

    private static TokenBucketRateLimiter CreateTokenBucket(QueryRule rule)
    {
        // Replenish ten times a second so the rate is smooth; the bucket holds one second's worth by default.
        var perTick = rule.PermitsPerSecond / 10.0;
        var period = TimeSpan.FromMilliseconds(100);
        var tokensPerPeriod = (int)Math.Round(perTick);
        if (tokensPerPeriod < 1)
        {
            tokensPerPeriod = 1;
            period = TimeSpan.FromSeconds(1 / rule.PermitsPerSecond);
        }

        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rule.Burst ?? Math.Max(1, (int)Math.Ceiling(rule.PermitsPerSecond)),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            AutoReplenishment = true,
            QueueLimit = rule.MaxQueueTime > TimeSpan.Zero ? int.MaxValue : 0,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }
}
