using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Configuration;
using PgDiscipline.Rules;
using PgDiscipline.Sql;

namespace PgDiscipline.Pipeline;

/// <summary>Turns a command text into its <see cref="CommandPlan"/>: fingerprint (cached per distinct text), matching
/// rules, tags, timeout prefixes and statistics entry. A plan is rebuilt when the options or the rules change (version).</summary>
internal sealed class CommandPlanner(CurrentOptions options, RuleBook rules, QueryStatistics? statistics = null)
{
    private readonly ConditionalWeakTable<SqlCommandInfo, CommandPlan> _plans = new();
    private readonly ConditionalWeakTable<string, Recent> _byInstance = new();

    // The plans of recently run texts, by the string instance's identity hash: in front of the weak table, which costs
    // about as much again per lookup. Racing writers just overwrite a slot; a reader checks the text it finds. The weak
    // table holds the same (text, plan) records, so refilling a slot allocates nothing.
    private const int RecentSlots = 256;
    private readonly Recent?[] _recent = new Recent?[RecentSlots];

    public SqlFingerprintCache Cache { get; } = new();

    /// <summary>The plan of a command text about to run.</summary>
    public CommandPlan PlanFor(string commandText, CommandSource source = CommandSource.Unknown)
    {
        // EF Core hands the same string instance for the same query: one lookup by instance finds its plan.
        var version = rules.Current.Version;
        var slot = commandText is null ? 0 : RuntimeHelpers.GetHashCode(commandText) & (RecentSlots - 1);
        if (commandText is not null && _recent[slot] is { } recent && ReferenceEquals(recent.Text, commandText) && recent.Plan.Version == version)
        {
            return recent.Plan;
        }

        if (commandText is not null && _byInstance.TryGetValue(commandText, out var known) && known.Plan.Version == version)
        {
            _recent[slot] = known;
            return known.Plan;
        }

        var plan = GetPlan(Cache.Get(commandText!), commandText!, source);
        if (commandText is not null)
        {
            var entry = new Recent(commandText, plan);
            _byInstance.AddOrUpdate(commandText, entry);
            _recent[slot] = entry;
        }

        return plan;
    }

    /// <summary>The plan for a command text (cached per distinct text and version).</summary>
    public CommandPlan GetPlan(SqlCommandInfo info, string commandText, CommandSource source = CommandSource.Unknown)
    {
        var snapshot = rules.Current;
        if (_plans.TryGetValue(info, out var plan) && plan.Version == snapshot.Version)
        {
            return plan;
        }

        plan = Build(info, commandText, snapshot, source);
        _plans.AddOrUpdate(info, plan);
        return plan;
    }

    private CommandPlan Build(SqlCommandInfo info, string commandText, QueryRuleSnapshot snapshot, CommandSource source)
    {
        var current = options.Value;
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
        string? outside = null;
        if (current.Pooler == PoolerMode.PgBouncerTransaction)
        {
            outside = TimeoutSql.SetConfigBatch(overrideTimeout ?? timeouts.Statement, timeouts.Lock, timeouts.IdleInTransaction);
        }
        else if (overrideTimeout is not null)
        {
            outside = TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        }

        var inside = overrideTimeout is null ? null : TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        var stats = statistics?.For(info, source == CommandSource.Unknown ? null : source.ToString());
        var callSite = stats is not null && statistics!.CallSiteOf(info) is { } site ? stats.CallSite(site) : null;
        return new CommandPlan
        {
            Version = snapshot.Version,
            Fingerprint = info.Fingerprint.ToString(),
            Info = info,
            Rules = matched,
            StatementTimeoutOverride = overrideTimeout,
            Timeouts = new ExecutionTimeouts(overrideTimeout ?? timeouts.Statement, timeouts.Lock, timeouts.IdleInTransaction),
            OutsidePrefix = outside,
            InsidePrefix = inside,
            CommandText = commandText,
            CarriesPositionCapture = IsSingleWrite(info),
            Coalesce = coalesce && info.IsReplicaSafe,
            IsReplicaSafe = info.IsReplicaSafe,
            Intent = intent,
            Priority = priority,
            RouteTo = routeTo,
            Stats = stats,
            CallSite = callSite,
        };
    }

    private static bool IsSingleWrite(SqlCommandInfo info)
        => info.Statements.Count == 1 && !info.IsReplicaSafe
            && info.Kind is SqlStatementKind.Insert or SqlStatementKind.Update or SqlStatementKind.Delete or SqlStatementKind.Merge;

    private sealed record Recent(string Text, CommandPlan Plan);
}
