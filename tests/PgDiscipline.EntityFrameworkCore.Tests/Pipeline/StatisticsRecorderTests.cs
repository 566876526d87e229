using Npgsql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

public sealed class StatisticsRecorderTests
{
    private static (StatisticsRecorder Recorder, CommandPlan Plan) Setup(string text)
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var statistics = new QueryStatistics(new StatisticsOptions(), ["primary"], () => []);
        var planner = new CommandPlanner(() => options, () => QueryRuleSnapshot.Empty, statistics);
        return (new StatisticsRecorder(planner, enabled: true), planner.PlanFor(text));
    }

    [Fact]
    public void A_completed_command_is_counted_under_its_fingerprint_through_the_timeout_prefix()
    {
        var (recorder, plan) = Setup("update users set name = @p0 where id = @p1");
        var command = Events.Command(plan.PrefixedOutsideTransaction!);
        recorder.Executed(command, TimeSpan.FromMilliseconds(3), rows: 1);
        recorder.Executed(command, TimeSpan.FromMilliseconds(5), rows: 0);
        Assert.Equal(2, plan.Stats!.Calls);
        Assert.Equal(1, plan.Stats.Rows);
        Assert.Equal(8000, plan.Stats.TotalMicros);
    }

    [Fact]
    public void Failures_are_counted_by_SQLSTATE_and_refused_commands_are_not_counted_again()
    {
        var (recorder, plan) = Setup("select * from users where id = @p0");
        var command = Events.Command(plan.PrefixedOutsideTransaction!);
        recorder.Failed(command, TimeSpan.FromMilliseconds(2000), new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", "57014"));
        recorder.Failed(command, TimeSpan.Zero, null);
        recorder.Failed(command, TimeSpan.Zero, new QueryBlockedException(plan.Fingerprint, "r", "why"));
        Assert.Equal(2, plan.Stats!.Calls);
        Assert.Equal(2, plan.Stats.ErrorCount);
        Assert.Equal(new Dictionary<string, long> { ["57014"] = 1, ["canceled"] = 1 }, plan.Stats.Errors.ToDictionary(p => p.Key, p => p.Value));
    }

    [Fact]
    public void Disabled_statistics_count_nothing()
    {
        var options = new PgDisciplineOptions();
        var planner = new CommandPlanner(() => options, () => QueryRuleSnapshot.Empty, statistics: null);
        var plan = planner.PlanFor("select 1");
        new StatisticsRecorder(planner, enabled: false).Executed(Events.Command("select 1"), TimeSpan.FromSeconds(1), 1);
        Assert.Null(plan.Stats);
    }
}
