using PgDiscipline.Operations.Configuration;
using PgDiscipline.Sql;

namespace PgDiscipline.Operations.Rules;

/// <summary>The one validation of a query rule: the runtime's rule book rejects an invalid rule with these messages, and
/// <c>pgdiscipline rules</c> refuses to write one.</summary>
internal static class QueryRuleValidator
{
    /// <summary>The smallest and largest <see cref="QueryRule.PermitsPerSecond"/>: one permit per 1000 s, and a million per
    /// second (the token bucket counts in ints and replenishes on a timer).</summary>
    public const double MinPermitsPerSecond = 0.001;

    /// <inheritdoc cref="MinPermitsPerSecond"/>
    public const double MaxPermitsPerSecond = 1_000_000;

    /// <summary>Problems with one rule (empty when valid). <paramref name="key"/> names it, e.g. <c>PgDiscipline:Rules:2</c>.</summary>
    public static IReadOnlyList<string> Validate(QueryRule rule, string key)
    {
        var errors = new List<string>();
        var name = string.IsNullOrWhiteSpace(rule.Id) ? key : $"{key} (rule '{DatabaseRuleRows.Escape(rule.Id)}')";
        if (string.IsNullOrWhiteSpace(rule.Id))
        {
            errors.Add($"{key}:Id is empty: every rule needs an id.");
        }

        var matchers = (rule.Fingerprint is null ? 0 : 1) + (rule.Tag is null ? 0 : 1) + (rule.Table is null ? 0 : 1);
        if (matchers != 1)
        {
            errors.Add($"{name}: set exactly one of Fingerprint, Tag or Table.");
        }

        if (rule.Fingerprint is not null && !SqlFingerprint.IsCanonical(rule.Fingerprint))
        {
            errors.Add($"{name}: Fingerprint must be 16 lowercase hex digits.");
        }

        if (!Enum.IsDefined(rule.Action))
        {
            errors.Add($"{name}: Action has an unknown value; expected one of: {string.Join(", ", Enum.GetNames<QueryRuleAction>())}.");
        }

        switch (rule.Action)
        {
            case QueryRuleAction.RateLimit when !(rule.PermitsPerSecond >= MinPermitsPerSecond && rule.PermitsPerSecond <= MaxPermitsPerSecond):
                errors.Add($"{name}: PermitsPerSecond must be a number from 0.001 to 1000000 for a RateLimit rule (not NaN, infinite, zero or negative).");
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
            case QueryRuleAction.Timeout:
                DurationLimits.CheckTimeout(rule.Timeout, $"{name}: Timeout", errors);
                break;
            case QueryRuleAction.Route when string.IsNullOrWhiteSpace(rule.RouteTo):
                errors.Add($"{name}: RouteTo must name a replica pool or 'primary' for a Route rule.");
                break;
        }

        DurationLimits.CheckInterval(rule.MaxQueueTime, $"{name}: MaxQueueTime", errors, allowZero: true, max: DurationLimits.PostgresTimeout);

        return errors;
    }
}
