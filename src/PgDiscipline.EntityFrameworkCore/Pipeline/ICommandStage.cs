namespace PgDiscipline.Pipeline;

/// <summary>
/// One stage of <see cref="CommandPipeline"/>. A stage either answers the command itself (a replica's reader, a
/// coalesced read's rows, a write with its capture) or passes it on to the rest of the chain through
/// the <c>next</c> cursor — possibly around it (a replica stage rescues a read whose primary is unreachable). Whatever
/// path a command takes, it has passed every stage before the one that answered it.
/// </summary>
internal interface ICommandStage
{
    ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken);
}

/// <summary>The rest of the chain after a stage.</summary>
internal readonly struct StageCursor(CommandPipeline pipeline, int index)
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ValueTask<Served> ExecuteAsync(CommandExecution execution, CancellationToken cancellationToken)
        => pipeline.Run(index, execution, cancellationToken);
}
