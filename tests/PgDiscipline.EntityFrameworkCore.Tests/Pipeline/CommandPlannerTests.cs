using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Sql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

public sealed class CommandPlannerTests
{
    private static (CommandPlanner Planner, Func<QueryRuleSnapshot, QueryRuleSnapshot> SetRules) Planner(PgDisciplineOptions options, QueryStatistics? statistics = null)
    {
        var rules = QueryRuleSnapshot.Empty;
        var planner = new CommandPlanner(() => options, () => rules, statistics);
        return (planner, s => rules = s);
    }

    private static QueryRuleSnapshot Rules(long version, params QueryRule[] rules)
        => QueryRuleCompiler.Compile(rules.Select((r, i) => (r, $"test:{i}", "test")), QueryRuleSnapshot.Empty, version);

    [Fact]
    public void Tags_set_intent_priority_and_a_statement_timeout_and_read_primary_wins_over_read_replica()
    {
        var (planner, _) = Planner(new PgDisciplineOptions());
        var tagged = planner.PlanFor("-- pgdiscipline:read=replica\n-- pgdiscipline:priority=low\n-- pgdiscipline:statement_timeout=250ms\n\nselect * from users where id = @p0");
        Assert.Equal(ReadIntent.Replica, tagged.Intent);
        Assert.Equal(QueryPriority.Low, tagged.Priority);
        Assert.Equal(TimeSpan.FromMilliseconds(250), tagged.StatementTimeoutOverride);
        Assert.Equal(TimeoutSql.ClientCommandTimeoutSeconds(TimeSpan.FromMilliseconds(250)), tagged.ClientTimeoutSeconds);
        Assert.True(tagged.IsReplicaSafe);

        var both = planner.PlanFor("-- pgdiscipline:read=primary reporting needs it fresh\n-- pgdiscipline:read=replica\n\nselect 1");
        Assert.Equal(ReadIntent.Primary, both.Intent);

        var malformed = planner.PlanFor("-- pgdiscipline:statement_timeout=soon\n-- pgdiscipline:priority=urgent\n\nselect 2");
        Assert.Null(malformed.StatementTimeoutOverride);
        Assert.Null(malformed.Priority);
        Assert.Equal(ReadIntent.None, malformed.Intent);
    }

    [Fact]
    public void PgBouncer_mode_prefixes_every_timeout_outside_a_transaction_and_only_the_override_inside()
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        options.Timeouts.Lock = TimeSpan.FromSeconds(1);
        var (planner, _) = Planner(options);

        var plain = planner.PlanFor("select * from users");
        Assert.Equal("/* pgdiscipline:timeouts */ SELECT set_config('statement_timeout', '2000ms', true), set_config('lock_timeout', '1000ms', true);select * from users", plain.PrefixedOutsideTransaction);
        Assert.Null(plain.PrefixedInsideTransaction); // the transaction interceptor set them at BEGIN
        Assert.True(plain.ReplicaTextIsPrefixed);
        Assert.Equal(3, plain.ClientTimeoutSeconds);

        var overridden = planner.PlanFor("-- pgdiscipline:statement_timeout=100ms\n\nselect * from users");
        Assert.StartsWith("/* pgdiscipline:timeouts */ SELECT set_config('statement_timeout', '100ms', true);", overridden.PrefixedInsideTransaction, StringComparison.Ordinal);
    }

    [Fact]
    public void Direct_mode_needs_no_prefix_unless_a_query_overrides_the_statement_timeout()
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var (planner, _) = Planner(options);
        var plan = planner.PlanFor("select * from users");
        Assert.Null(plan.PrefixedOutsideTransaction);
        Assert.Equal("select * from users", plan.ReplicaText);
        Assert.False(plan.ReplicaTextIsPrefixed);
        Assert.NotNull(planner.PlanFor("-- pgdiscipline:statement_timeout=100ms\n\nselect * from users").PrefixedOutsideTransaction);
    }

    [Fact]
    public void A_new_rule_version_rebuilds_the_plan_and_Timeout_and_Route_rules_shape_it()
    {
        var (planner, setRules) = Planner(new PgDisciplineOptions());
        const string text = "select * from messages where conversation_id = @p0";
        var before = planner.PlanFor(text);
        Assert.Same(before, planner.PlanFor(text)); // cached per text and version
        Assert.Empty(before.Rules);

        setRules(Rules(
            2,
            new QueryRule { Id = "slow", Table = "messages", Action = QueryRuleAction.Timeout, Timeout = TimeSpan.FromMilliseconds(300) },
            new QueryRule { Id = "offload", Table = "messages", Action = QueryRuleAction.Route, RouteTo = "reporting" }));
        var after = planner.PlanFor(text);
        Assert.NotSame(before, after);
        Assert.Equal(2, after.Version);
        Assert.Equal(["slow", "offload"], after.Rules.Select(r => r.Id));
        Assert.Equal(TimeSpan.FromMilliseconds(300), after.StatementTimeoutOverride);
        Assert.Equal("reporting", after.RouteTo);
    }

    [Fact]
    public void The_plan_of_an_executed_command_is_found_from_its_prefixed_text()
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var (planner, _) = Planner(options);
        var plan = planner.PlanFor("select * from users where id = @p0");
        Assert.Same(plan, planner.PlanOfExecuted(plan.PrefixedOutsideTransaction!));
        Assert.Same(plan, planner.PlanOfExecuted("select * from users where id = @p0"));
        Assert.Null(planner.PlanOfExecuted(TimeoutSql.Marker + "select 'never planned'"));
    }

    [Fact]
    public void Statistics_entries_carry_the_command_source_and_the_call_site()
    {
        var statistics = new QueryStatistics(new StatisticsOptions { SourceRoot = "/src/app" }, ["primary"], () => []);
        var (planner, _) = Planner(new PgDisciplineOptions(), statistics);
        var plan = planner.PlanFor("-- File: /src/app/Users/UserStore.cs:42\n\nselect * from users", CommandSource.LinqQuery);
        Assert.NotNull(plan.Stats);
        Assert.Equal("LinqQuery", plan.Stats!.Source);
        Assert.NotNull(plan.CallSite);
        Assert.Equal(1, statistics.Count);
        Assert.Equal(SqlFingerprint.Compute("select * from users").ToString(), plan.Fingerprint);
    }
}
