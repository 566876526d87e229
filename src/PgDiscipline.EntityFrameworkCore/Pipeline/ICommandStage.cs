namespace PgDiscipline.Pipeline;

/// <summary>
/// One stage of <see cref="CommandPipeline"/>. A stage either answers the command itself (a replica's reader, a
/// coalesced read's rows, a write with its capture) or passes it on to the rest of the chain through
/// the <c>next</c> cursor — possibly around it (a replica stage rescues a read whose primary is unreachable). Whatever
/// path a command takes, it has passed every stage before the one that answered it.
/// </summary>
internal interface ICommandStage
{
    /// <summary>Whether this stage can do anything for a command of <paramref name="plan"/> run as <paramref name="kind"/>.
    /// Asked once per plan and kind (a plan is rebuilt when the options or rules change), so it may only look at the plan,
    /// the kind, the options and what is fixed for the runtime's life (whether it has replicas); a stage that says yes
    /// still checks the command itself when it runs.</summary>
    bool AppliesTo(CommandPlan plan, ExecutionKind kind);

    ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken);
}

/// <summary>The rest of the chain after a stage.</summary>
internal readonly struct StageCursor(ICommandStage[] stages, int index)
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<Served> ExecuteAsync(CommandExecution execution, CancellationToken cancellationToken)
        => CommandPipeline.Run(stages, index, execution, cancellationToken);
}
