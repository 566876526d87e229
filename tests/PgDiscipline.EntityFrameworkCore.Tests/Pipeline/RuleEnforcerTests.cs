using Microsoft.Extensions.Logging.Abstractions;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

public sealed class RuleEnforcerTests
{
    private const string Text = "select * from messages where conversation_id = @p0";

    private static CommandPlan Plan(params QueryRule[] rules)
    {
        var snapshot = QueryRuleCompiler.Compile(rules.Select((r, i) => (r, $"test:{i}", "test")), QueryRuleSnapshot.Empty, 1);
        Assert.Empty(snapshot.Errors);
        var statistics = new QueryStatistics(new StatisticsOptions(), ["primary"], () => []);
        return new CommandPlanner(() => new PgDisciplineOptions(), () => snapshot, statistics).PlanFor(Text);
    }

    [Fact]
    public async Task A_Block_rule_throws_naming_fingerprint_rule_and_reason_and_counts_it()
    {
        var plan = Plan(new QueryRule { Id = "incident-42", Table = "messages", Action = QueryRuleAction.Block, Reason = "melting the primary" });
        var enforcer = new RuleEnforcer(NullLogger.Instance);
        var ex = await Assert.ThrowsAsync<QueryBlockedException>(() => enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None).AsTask());
        Assert.Equal(plan.Fingerprint, ex.Fingerprint);
        Assert.Equal("incident-42", ex.RuleId);
        Assert.Equal("melting the primary", ex.Reason);
        Assert.Contains(plan.Fingerprint, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, plan.Stats!.Blocked);
    }

    [Fact]
    public async Task An_expired_rule_no_longer_applies()
    {
        var plan = Plan(new QueryRule { Id = "old", Table = "messages", Action = QueryRuleAction.Block, ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        await new RuleEnforcer(NullLogger.Instance).EnforceAsync(Events.Command(Text), plan, sync: true, CancellationToken.None);
        Assert.Equal(0, plan.Stats!.Blocked);
    }

    [Fact]
    public async Task A_RateLimit_rule_refuses_what_exceeds_its_burst()
    {
        var plan = Plan(new QueryRule { Id = "limit", Table = "messages", Action = QueryRuleAction.RateLimit, PermitsPerSecond = 0.5, Burst = 2 });
        var enforcer = new RuleEnforcer(NullLogger.Instance);
        await enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None);
        await enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<QueryRateLimitedException>(() => enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None).AsTask());
        Assert.Equal("limit", ex.RuleId);
        Assert.Equal(1, plan.Stats!.RateLimited);
    }

    [Fact]
    public async Task A_Concurrency_permit_is_held_until_the_command_is_released()
    {
        var plan = Plan(new QueryRule { Id = "one-at-a-time", Table = "messages", Action = QueryRuleAction.Concurrency, MaxConcurrency = 1 });
        var enforcer = new RuleEnforcer(NullLogger.Instance);
        var first = Events.Command(Text);
        await enforcer.EnforceAsync(first, plan, sync: false, CancellationToken.None);
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None).AsTask());

        enforcer.Release(first);
        var third = Events.Command(Text);
        await enforcer.EnforceAsync(third, plan, sync: true, CancellationToken.None);
        enforcer.Release(third);
        enforcer.Release(third); // releasing twice gives back nothing twice
        await enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None);
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_queued_command_waits_for_a_permit_up_to_MaxQueueTime()
    {
        var plan = Plan(new QueryRule { Id = "queued", Table = "messages", Action = QueryRuleAction.Concurrency, MaxConcurrency = 1, MaxQueueTime = TimeSpan.FromSeconds(30) });
        var enforcer = new RuleEnforcer(NullLogger.Instance);
        var first = Events.Command(Text);
        await enforcer.EnforceAsync(first, plan, sync: false, CancellationToken.None);
        var waiting = enforcer.EnforceAsync(Events.Command(Text), plan, sync: false, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        enforcer.Release(first);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, plan.Stats!.RateLimited);
    }
}
