using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Rules;

/// <summary>Validates and compiles rules from all sources into snapshots.</summary>
internal static class QueryRuleCompiler
{
    /// <summary>Problems with one rule (empty when valid): <see cref="QueryRuleValidator.Validate"/>, the check the CLI
    /// runs before it writes a rule.</summary>
    public static IReadOnlyList<string> Validate(QueryRule rule, string key) => QueryRuleValidator.Validate(rule, key);

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
            try
            {
                compiled.Add(kept ?? new CompiledRule(rule, source));
            }
            catch (Exception ex) when (ex is ArgumentException or OverflowException)
            {
                // Validation should have caught it; a limiter that cannot be built rejects this rule, never the reload.
                errors.Add($"{key} (rule '{DatabaseRuleRows.Escape(rule.Id)}'): its limiter cannot be built ({ex.GetType().Name}).");
            }
        }

        return new QueryRuleSnapshot(version, compiled, errors);
    }
}
