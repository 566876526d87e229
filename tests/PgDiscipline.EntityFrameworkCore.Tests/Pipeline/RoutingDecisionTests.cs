using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

public sealed class RoutingDecisionTests
{
    private static (ReplicaRouter Router, CommandPlanner Planner, PgDisciplineOptions Options) Setup(Action<PgDisciplineOptions>? configure = null)
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=replica-a.invalid");
        options.AddReplica("Host=replica-low.invalid", pool: "low");
        configure?.Invoke(options);
        var router = new ReplicaRouter(() => options, NullLogger.Instance, options.Replicas);
        return (router, new CommandPlanner(() => options, () => QueryRuleSnapshot.Empty, null), options);
    }

    [Fact]
    public async Task Only_replica_safe_reads_outside_transactions_and_migrations_go_to_a_replica_pool()
    {
        var (router, planner, _) = Setup();
        await using var _ = router;
        var read = planner.PlanFor("select * from users where id = @p0");
        Assert.Equal("default", router.PoolForRead(read, inTransaction: false, CommandSource.LinqQuery, ReadIntent.None, null));
        Assert.Null(router.PoolForRead(read, inTransaction: true, CommandSource.LinqQuery, ReadIntent.None, null));
        Assert.Null(router.PoolForRead(read, inTransaction: false, CommandSource.Migrations, ReadIntent.None, null));
        Assert.Null(router.PoolForRead(planner.PlanFor("update users set name = @p0"), false, CommandSource.SaveChanges, ReadIntent.None, null));
        Assert.Null(router.PoolForRead(planner.PlanFor("select * from users for update"), false, CommandSource.LinqQuery, ReadIntent.None, null));
        Assert.Null(router.PoolForRead(planner.PlanFor("select nextval('s')"), false, CommandSource.FromSqlQuery, ReadIntent.None, null));
    }

    [Fact]
    public async Task The_query_intent_wins_over_the_ambient_one_and_DefaultRead_Primary_keeps_untagged_reads_home()
    {
        var (router, planner, options) = Setup(o => o.DefaultRead = ReadRouting.Primary);
        await using var _ = router;
        var untagged = planner.PlanFor("select * from users");
        Assert.Null(router.PoolForRead(untagged, false, CommandSource.LinqQuery, ReadIntent.None, null));
        Assert.Equal("default", router.PoolForRead(untagged, false, CommandSource.LinqQuery, ReadIntent.Replica, null));
        var primaryTagged = planner.PlanFor("-- pgdiscipline:read=primary fresh balance\n\nselect * from users");
        Assert.Null(router.PoolForRead(primaryTagged, false, CommandSource.LinqQuery, ReadIntent.Replica, null));
        var replicaTagged = planner.PlanFor("-- pgdiscipline:read=replica\n\nselect * from users");
        Assert.Equal("default", router.PoolForRead(replicaTagged, false, CommandSource.LinqQuery, ReadIntent.Primary, null));

        options.Consistency = ReadConsistency.Strong;
        Assert.Null(router.PoolForRead(replicaTagged, false, CommandSource.LinqQuery, ReadIntent.Replica, null));
    }

    [Fact]
    public async Task Low_priority_uses_the_low_pool_and_a_Route_rule_names_the_target()
    {
        var (router, planner, _) = Setup();
        await using var _ = router;
        Assert.Equal("low", router.PoolForRead(planner.PlanFor("-- pgdiscipline:priority=low\n\nselect * from users"), false, CommandSource.LinqQuery, ReadIntent.None, null));
        Assert.Equal("low", router.PoolForRead(planner.PlanFor("select * from users"), false, CommandSource.LinqQuery, ReadIntent.Replica, QueryPriority.Low));

        var snapshot = QueryRuleCompiler.Compile(
            [(new QueryRule { Id = "home", Table = "audit", Action = QueryRuleAction.Route, RouteTo = "PRIMARY" }, "t:0", "t"),
             (new QueryRule { Id = "reports", Table = "orders", Action = QueryRuleAction.Route, RouteTo = "low" }, "t:1", "t")],
            QueryRuleSnapshot.Empty,
            1);
        var ruled = new CommandPlanner(() => new PgDisciplineOptions { DefaultRead = ReadRouting.Primary }, () => snapshot, null);
        Assert.Null(router.PoolForRead(ruled.PlanFor("select * from audit"), false, CommandSource.LinqQuery, ReadIntent.Replica, null));
        Assert.Equal("low", router.PoolForRead(ruled.PlanFor("select * from orders"), false, CommandSource.LinqQuery, ReadIntent.None, null));
    }
}
