using Npgsql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>An execution ends exactly once and records what happened under its fingerprint.</summary>
public sealed class CommandExecutionTests
{
    private static CommandPlan Plan(string text)
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        return Parts.Planner(options, Parts.Statistics()).PlanFor(text);
    }

    [Fact]
    public void A_completed_command_is_counted_once_with_its_duration_and_rows()
    {
        var plan = Plan("update users set name = @p0 where id = @p1");
        var first = Parts.Execution(plan, Events.Command(plan.CommandText), kind: ExecutionKind.NonQuery);
        first.Executed(TimeSpan.FromMilliseconds(3));
        first.Complete(1);
        first.Complete(5);
        var second = Parts.Execution(plan, Events.Command(plan.CommandText), kind: ExecutionKind.NonQuery);
        second.Executed(TimeSpan.FromMilliseconds(5));
        second.Complete(0);
        Assert.Equal(2, plan.Stats!.Calls);
        Assert.Equal(1, plan.Stats.Rows);
        Assert.Equal(8000, plan.Stats.TotalMicros);
    }

    [Fact]
    public void Failures_are_counted_by_SQLSTATE_and_refused_commands_are_not_counted_again()
    {
        var plan = Plan("select * from users where id = @p0");
        Parts.Execution(plan, Events.Command(plan.CommandText)).Fail(new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", "57014"));
        Parts.Execution(plan, Events.Command(plan.CommandText)).Fail(null);
        Parts.Execution(plan, Events.Command(plan.CommandText)).Fail(new QueryBlockedException(plan.Fingerprint, "r", "why"));
        Assert.Equal(2, plan.Stats!.Calls);
        Assert.Equal(2, plan.Stats.ErrorCount);
        Assert.Equal(new Dictionary<string, long> { ["57014"] = 1, ["canceled"] = 1 }, plan.Stats.Errors.ToDictionary(p => p.Key, p => p.Value));
    }

    [Fact]
    public void The_execution_is_found_from_its_command_by_EF_Cores_command_id_only_while_it_runs()
    {
        var plan = Plan("select 1");
        var command = Events.Command("select 1");
        var execution = Parts.Execution(plan, command);
        var id = execution.CommandId;
        Assert.Same(execution, Executions.Find(command, id));
        Assert.Null(Executions.Find(command, Guid.NewGuid()));
        execution.Complete(0);
        Assert.Null(Executions.Find(command, id));
        Assert.Null(command.Site);
    }

    [Fact]
    public void Disabled_statistics_count_nothing()
    {
        var plan = Parts.Planner(new PgDisciplineOptions()).PlanFor("select 1");
        var execution = Parts.Execution(plan, Events.Command("select 1"));
        execution.Executed(TimeSpan.FromSeconds(1));
        execution.Complete(1);
        Assert.Null(plan.Stats);
    }
}
