using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Configuration;

namespace PgDiscipline.Pipeline;

/// <summary>
/// Every command PgDiscipline sees runs through one ordered chain of stages — rules, routing decision, coalescing,
/// replica, migration guard, primary — each applying to every path by construction: a command answered by a later stage
/// has passed the earlier ones, and the stages after the one that answers it never run. Its state lives in one
/// <see cref="CommandExecution"/>.
/// </summary>
internal sealed class CommandPipeline(CommandPlanner planner, ExecutionPool pool, IEnumerable<ICommandStage> stages)
{
    private readonly ICommandStage[] _stages = [.. stages];

    public CommandPlanner Planner => planner;

    /// <summary>The stages in the order they run (for tests and diagnostics).</summary>
    public IReadOnlyList<ICommandStage> Stages => _stages;

    /// <summary>Starts the execution of <paramref name="command"/>: its plan (cached per distinct text) and timeouts.</summary>
    public CommandExecution Begin(DbCommand command, CommandEventData data, ExecutionKind kind, bool sync)
    {
        if (Executions.Find(command, data.CommandId) is { } running)
        {
            running.Complete(0); // EF Core runs the same command object again (never seen; be safe)
        }

        var plan = planner.PlanFor(command.CommandText, data.CommandSource);
        plan.CallSite?.Increment();
        var execution = pool.Rent();
        execution.Start(command, data, kind, sync, plan, plan.Timeouts, plan.StagesFor(kind) ?? plan.KeepStages(kind, Applying(plan, kind)));
        Executions.Attach(command, execution);
        return execution;
    }

    /// <summary>Runs the execution's stages from the first (the ones <see cref="Begin"/> chose for its plan and kind).</summary>
    public static ValueTask<Served> ExecuteAsync(CommandExecution execution, CancellationToken cancellationToken) => Run(execution.Stages, 0, execution, cancellationToken);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static ValueTask<Served> Run(ICommandStage[] stages, int index, CommandExecution execution, CancellationToken cancellationToken)
        => index < stages.Length
            ? stages[index].ExecuteAsync(execution, new StageCursor(stages, index + 1), cancellationToken)
            : ValueTask.FromResult(Served.None);

    /// <summary>The stages that can do anything for commands of <paramref name="plan"/> run as <paramref name="kind"/>, in
    /// order: a plain read on a runtime without replicas or rules runs the primary stage only.</summary>
    internal ICommandStage[] Applying(CommandPlan plan, ExecutionKind kind) => [.. _stages.Where(s => s.AppliesTo(plan, kind))];
}
