using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Sql;

namespace PgDiscipline.Interception;

/// <summary>Turns a command text into its <see cref="CommandPlan"/>: fingerprint (cached per distinct text), matching
/// rules, tags, timeout prefixes and statistics entry. A plan is rebuilt when the options or the rules change (version).</summary>
internal sealed class CommandPlanner(Func<PgDisciplineOptions> options, Func<QueryRuleSnapshot> rules, QueryStatistics? statistics)
{
    private readonly ConditionalWeakTable<SqlCommandInfo, CommandPlan> _plans = new();
    private readonly ConditionalWeakTable<string, CommandPlan> _prefixedPlans = new();

    public SqlFingerprintCache Cache { get; } = new();

    /// <summary>The plan of a command text about to run.</summary>
    public CommandPlan PlanFor(string commandText, CommandSource source = CommandSource.Unknown)
        => GetPlan(Cache.Get(commandText), commandText, source);

    /// <summary>The plan for a command text (cached per distinct text and version).</summary>
    public CommandPlan GetPlan(SqlCommandInfo info, string commandText, CommandSource source = CommandSource.Unknown)
    {
        var snapshot = rules();
        if (_plans.TryGetValue(info, out var plan) && plan.Version == snapshot.Version)
        {
            return plan;
        }

        plan = Build(info, commandText, snapshot, source);
        _plans.AddOrUpdate(info, plan);
        return plan;
    }

    /// <summary>The plan of a command the interceptors already saw, from its (possibly prefixed) text; null if unknown.</summary>
    public CommandPlan? PlanOfExecuted(string commandText)
    {
        if (commandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal))
        {
            return _prefixedPlans.TryGetValue(commandText, out var prefixed) ? prefixed : null;
        }

        return _plans.TryGetValue(Cache.Get(commandText), out var plan) ? plan : null;
    }

    private CommandPlan Build(SqlCommandInfo info, string commandText, QueryRuleSnapshot snapshot, CommandSource source)
    {
        var current = options();
        var matched = snapshot.Match(info);
        var (overrideTimeout, intent, priority, coalesce) = QueryTags.Parse(info.Tags);
        string? routeTo = null;
        foreach (var rule in matched)
        {
            if (rule.Action == QueryRuleAction.Timeout)
            {
                overrideTimeout = rule.Rule.Timeout;
            }
            else if (rule.Action == QueryRuleAction.Route)
            {
                routeTo = rule.Rule.RouteTo;
            }
            else if (rule.Action == QueryRuleAction.Coalesce)
            {
                coalesce = true;
            }
        }

        var timeouts = current.Timeouts;
        var statement = overrideTimeout ?? timeouts.Statement;
        string? outside = null;
        if (current.Pooler == PoolerMode.PgBouncerTransaction)
        {
            outside = TimeoutSql.SetConfigBatch(statement, timeouts.Lock, timeouts.IdleInTransaction);
        }
        else if (overrideTimeout is not null)
        {
            outside = TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        }

        var inside = overrideTimeout is null ? null : TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        var stats = statistics?.For(info, source == CommandSource.Unknown ? null : source.ToString());
        var callSite = stats is not null && statistics!.CallSiteOf(info) is { } site ? stats.CallSite(site) : null;
        var plan = new CommandPlan
        {
            Version = snapshot.Version,
            Fingerprint = info.Fingerprint.ToString(),
            Info = info,
            Rules = matched,
            StatementTimeoutOverride = overrideTimeout,
            PrefixedOutsideTransaction = outside is null ? null : outside + commandText,
            PrefixedInsideTransaction = inside is null ? null : inside + commandText,
            OutsidePrefixStatement = outside,
            CommandText = commandText,
            CarriesPositionCapture = IsSingleWrite(info),
            Coalesce = coalesce && info.IsReplicaSafe,
            ClientTimeoutSeconds = statement is { } s ? TimeoutSql.ClientCommandTimeoutSeconds(s) : null,
            IsReplicaSafe = info.IsReplicaSafe,
            Intent = intent,
            Priority = priority,
            RouteTo = routeTo,
            ReplicaText = outside is null ? commandText : outside + commandText,
            ReplicaTextIsPrefixed = outside is not null,
            Stats = stats,
            CallSite = callSite,
        };

        // Commands run with a prefixed text; the Executed/Failed events see that text, so map it back to the plan.
        if (plan.PrefixedOutsideTransaction is { } o)
        {
            _prefixedPlans.AddOrUpdate(o, plan);
        }

        if (plan.PrefixedInsideTransaction is { } i)
        {
            _prefixedPlans.AddOrUpdate(i, plan);
        }

        return plan;
    }

    private static bool IsSingleWrite(SqlCommandInfo info)
        => info.Statements.Count == 1 && !info.IsReplicaSafe
            && info.Kind is SqlStatementKind.Insert or SqlStatementKind.Update or SqlStatementKind.Delete or SqlStatementKind.Merge;
}
