using System.Collections.Frozen;
using System.Globalization;
using System.Threading.RateLimiting;
using PgDiscipline.Sql;

namespace PgDiscipline;

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

/// <summary>An immutable set of compiled rules, indexed for the hot path.</summary>
internal sealed class QueryRuleSnapshot
{
    public static readonly QueryRuleSnapshot Empty = new(0, [], []);

    private readonly FrozenDictionary<ulong, CompiledRule[]> _byFingerprint;
    private readonly FrozenDictionary<string, CompiledRule[]> _byTag;
    private readonly FrozenDictionary<string, CompiledRule[]> _byTable;

    public QueryRuleSnapshot(long version, IReadOnlyList<CompiledRule> rules, IReadOnlyList<string> errors)
    {
        Version = version;
        Rules = rules;
        Errors = errors;
        _byFingerprint = Index(rules.Where(r => r.Rule.Fingerprint is not null), r => ParseHash(r.Rule.Fingerprint!));
        _byTag = Index(rules.Where(r => r.Rule.Tag is not null), r => r.Rule.Tag!, StringComparer.Ordinal);
        _byTable = Index(rules.Where(r => r.Rule.Table is not null), r => r.Rule.Table!, StringComparer.Ordinal);
    }

    public long Version { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>Rules rejected when this snapshot was built, each naming the rule.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Rules that apply to a command, in order: fingerprint rules, then tag, then table rules.</summary>
    public CompiledRule[] Match(SqlCommandInfo info)
    {
        var fingerprint = _byFingerprint.TryGetValue(info.Fingerprint.Hash, out var f) ? f : null;
        if (_byTag.Count == 0 && _byTable.Count == 0)
        {
            return fingerprint ?? [];
        }

        var all = new List<CompiledRule>();
        if (fingerprint is not null)
        {
            all.AddRange(fingerprint);
        }

        foreach (var tag in info.Tags)
        {
            if (_byTag.TryGetValue(tag, out var t))
            {
                all.AddRange(t);
            }
        }

        foreach (var table in info.Tables)
        {
            if (_byTable.TryGetValue(table, out var t))
            {
                all.AddRange(t.Where(r => !all.Contains(r)));
            }
        }

        return all.Count == 0 ? [] : all.ToArray();
    }

    private static ulong ParseHash(string fingerprint)
        => ulong.Parse(fingerprint, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static FrozenDictionary<TKey, CompiledRule[]> Index<TKey>(IEnumerable<CompiledRule> rules, Func<CompiledRule, TKey> key, IEqualityComparer<TKey>? comparer = null)
        where TKey : notnull
        => rules.GroupBy(key, comparer).ToFrozenDictionary(g => g.Key, g => g.ToArray(), comparer);
}

/// <summary>Validates and compiles rules from all sources into snapshots.</summary>
internal static class QueryRuleCompiler
{
    /// <summary>Problems with one rule (empty when valid). <paramref name="key"/> names it, e.g. <c>PgDiscipline:Rules:2</c>.</summary>
    public static IReadOnlyList<string> Validate(QueryRule rule, string key)
    {
        var errors = new List<string>();
        var name = string.IsNullOrWhiteSpace(rule.Id) ? key : $"{key} (rule '{rule.Id}')";
        if (string.IsNullOrWhiteSpace(rule.Id))
        {
            errors.Add($"{key}:Id is empty: every rule needs an id.");
        }

        var matchers = (rule.Fingerprint is null ? 0 : 1) + (rule.Tag is null ? 0 : 1) + (rule.Table is null ? 0 : 1);
        if (matchers != 1)
        {
            errors.Add($"{name}: set exactly one of Fingerprint, Tag or Table.");
        }

        if (rule.Fingerprint is not null && !PgDisciplineOptionsValidator.IsFingerprint(rule.Fingerprint))
        {
            errors.Add($"{name}: Fingerprint must be 16 lowercase hex digits.");
        }

        if (!Enum.IsDefined(rule.Action))
        {
            errors.Add($"{name}: Action has an unknown value; expected one of: {string.Join(", ", Enum.GetNames<QueryRuleAction>())}.");
        }

        switch (rule.Action)
        {
            case QueryRuleAction.RateLimit when !(rule.PermitsPerSecond > 0) || double.IsInfinity(rule.PermitsPerSecond):
                errors.Add($"{name}: PermitsPerSecond must be a positive number for a RateLimit rule.");
                break;
            case QueryRuleAction.RateLimit when rule.Burst is < 1:
                errors.Add($"{name}: Burst must be at least 1.");
                break;
            case QueryRuleAction.Concurrency when rule.MaxConcurrency < 1:
                errors.Add($"{name}: MaxConcurrency must be at least 1 for a Concurrency rule.");
                break;
            case QueryRuleAction.Timeout when rule.Timeout is not { } t || t <= TimeSpan.Zero:
                errors.Add($"{name}: Timeout must be positive for a Timeout rule.");
                break;
            case QueryRuleAction.Route when string.IsNullOrWhiteSpace(rule.RouteTo):
                errors.Add($"{name}: RouteTo must name a replica pool or 'primary' for a Route rule.");
                break;
        }

        if (rule.MaxQueueTime < TimeSpan.Zero)
        {
            errors.Add($"{name}: MaxQueueTime must not be negative.");
        }

        return errors;
    }

    /// <summary>Builds a snapshot; invalid rules are left out and reported in <see cref="QueryRuleSnapshot.Errors"/>.
    /// Limiters of unchanged rules carry over from <paramref name="previous"/>.</summary>
    public static QueryRuleSnapshot Compile(IEnumerable<(QueryRule Rule, string Key, string Source)> rules, QueryRuleSnapshot previous, long version, IEnumerable<string>? sourceErrors = null)
    {
        var compiled = new List<CompiledRule>();
        var errors = new List<string>(sourceErrors ?? []);
        foreach (var (rule, key, source) in rules)
        {
            var problems = Validate(rule, key);
            if (problems.Count > 0)
            {
                errors.AddRange(problems);
                continue;
            }

            var kept = previous.Rules.FirstOrDefault(r => r.Source == source && r.SameDefinition(rule));
            compiled.Add(kept ?? new CompiledRule(rule, source));
        }

        return new QueryRuleSnapshot(version, compiled, errors);
    }
}
