using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The first stage: Block, RateLimit and Concurrency rules, before anything reaches a server.</summary>
public sealed class RuleStageTests
{
    private const string Text = "select * from messages where conversation_id = @p0";

    private static readonly RuleStage Stage = new(NullLogger.Instance);

    private static CommandPlan Plan(params QueryRule[] rules) => Parts.Planner(new PgDisciplineOptions(), Parts.Statistics(), rules).PlanFor(Text);

    private static ValueTask Admit(CommandPlan plan, out CommandExecution execution, TimeProvider? time = null, bool sync = false)
    {
        execution = Parts.Execution(plan, Events.Command(Text), time, sync: sync);
        return Stage.AdmitAsync(execution, CancellationToken.None);
    }

    [Fact]
    public async Task A_Block_rule_throws_naming_fingerprint_rule_and_reason_and_counts_it()
    {
        var plan = Plan(new QueryRule { Id = "incident-42", Table = "messages", Action = QueryRuleAction.Block, Reason = "melting the primary" });
        var ex = await Assert.ThrowsAsync<QueryBlockedException>(() => Admit(plan, out _).AsTask());
        Assert.Equal((plan.Fingerprint, "incident-42", "melting the primary"), (ex.Fingerprint, ex.RuleId, ex.Reason));
        Assert.Contains(plan.Fingerprint, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, plan.Stats!.Blocked);
    }

    [Fact]
    public async Task A_rule_stops_applying_at_its_expiry_on_the_runtime_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var plan = Plan(new QueryRule { Id = "for-a-minute", Table = "messages", Action = QueryRuleAction.Block, ExpiresAt = time.GetUtcNow().AddMinutes(1) });
        await Assert.ThrowsAsync<QueryBlockedException>(() => Admit(plan, out _, time).AsTask());

        time.Advance(TimeSpan.FromSeconds(59));
        await Assert.ThrowsAsync<QueryBlockedException>(() => Admit(plan, out _, time).AsTask());

        time.Advance(TimeSpan.FromSeconds(1));
        await Admit(plan, out _, time);
        Assert.Equal(2, plan.Stats!.Blocked);
    }

    [Fact]
    public async Task A_RateLimit_rule_refuses_what_exceeds_its_burst()
    {
        var plan = Plan(new QueryRule { Id = "limit", Table = "messages", Action = QueryRuleAction.RateLimit, PermitsPerSecond = 0.5, Burst = 2 });
        await Admit(plan, out _);
        await Admit(plan, out _);
        var ex = await Assert.ThrowsAsync<QueryRateLimitedException>(() => Admit(plan, out _).AsTask());
        Assert.Equal("limit", ex.RuleId);
        Assert.Equal(1, plan.Stats!.RateLimited);
    }

    [Fact]
    public async Task A_Concurrency_permit_is_held_until_the_execution_ends_and_given_back_once()
    {
        var plan = Plan(new QueryRule { Id = "one-at-a-time", Table = "messages", Action = QueryRuleAction.Concurrency, MaxConcurrency = 1 });
        await Admit(plan, out var first);
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => Admit(plan, out _).AsTask());

        first.Complete(0);
        await Admit(plan, out var third, sync: true);
        third.Complete(0);
        third.Complete(0); // completing twice gives back nothing twice
        await Admit(plan, out _);
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => Admit(plan, out _).AsTask());
    }

    [Fact]
    public async Task A_queued_command_waits_for_a_permit_up_to_MaxQueueTime_on_the_runtime_clock()
    {
        var time = new FakeTimeProvider();
        var plan = Plan(new QueryRule { Id = "queued", Table = "messages", Action = QueryRuleAction.Concurrency, MaxConcurrency = 1, MaxQueueTime = TimeSpan.FromSeconds(30) });
        await Admit(plan, out var first, time);

        var served = Admit(plan, out _, time).AsTask();
        Assert.False(served.IsCompleted);
        first.Complete(0);
        await served.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, plan.Stats!.RateLimited);

        var refused = Admit(plan, out _, time).AsTask();
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(refused.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => refused.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
