namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>An execution is reused only once both its command and its reader are done with it, and exactly once.</summary>
public sealed class ExecutionPoolTests
{
    private static readonly CommandPlan Plan = Parts.Planner(new PgDisciplineOptions()).PlanFor("select * from users where id = @p0");

    private static CommandExecution Begin(ExecutionPool pool)
    {
        var execution = pool.Rent();
        var command = Events.Command(Plan.CommandText);
        execution.Start(command, Events.Executing(command), ExecutionKind.Reader, sync: true, Plan, default, stages: []);
        return execution;
    }

    private static FakeReader OneRow() => new(new object[][] { new object[] { 1 } });

    [Fact]
    public void An_execution_whose_reader_is_still_open_is_not_reused_when_its_command_completes()
    {
        var pool = new ExecutionPool(TimeProvider.System);
        var execution = Begin(pool);
        var reader = execution.Take(OneRow());
        execution.Complete(1);
        Assert.NotSame(execution, pool.Rent());
        reader.Dispose();
        Assert.Same(execution, pool.Rent());
    }

    [Fact]
    public void An_execution_is_reused_once_however_often_its_end_is_reported()
    {
        var pool = new ExecutionPool(TimeProvider.System);
        var execution = Begin(pool);
        var reader = execution.Take(OneRow());
        reader.Dispose(); // EF Core closes the reader: the command completes with it
        reader.Dispose();
        execution.Complete(0);
        execution.Fail(null);
        var first = pool.Rent();
        var second = pool.Rent();
        Assert.Same(execution, first);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void A_failed_command_closes_the_reader_a_stage_made_and_is_then_reused_once()
    {
        var pool = new ExecutionPool(TimeProvider.System);
        var execution = Begin(pool);
        var inner = OneRow();
        _ = execution.Take(inner); // made by a stage, never handed to EF Core
        execution.Fail(new TimeoutException());
        Assert.Equal(1, inner.Closes);
        Assert.Same(execution, pool.Rent());
        Assert.NotSame(execution, pool.Rent());
    }

    [Fact]
    public void A_thread_keeps_no_other_runtimes_execution_for_this_one()
    {
        var first = new ExecutionPool(TimeProvider.System);
        var second = new ExecutionPool(TimeProvider.System);
        var execution = Begin(first);
        execution.Complete(0);
        var other = second.Rent();
        Assert.NotSame(execution, other);
        Assert.Same(second, other.Owner);
    }
}
