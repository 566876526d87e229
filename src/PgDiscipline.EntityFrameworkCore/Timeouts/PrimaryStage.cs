using System.Data;
using System.Data.Common;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Timeouts;

/// <summary>
/// The last stage: the command runs on the primary. Its timeouts — the transaction-local <c>set_config</c> prefix
/// (PgBouncer mode, or a statement-timeout override; Direct mode has them as startup options) and a client timeout just
/// above the server's —, the deferred open of the context's connection, then either EF Core runs the command as shaped, or
/// this stage runs it when EF Core could not read the result of the shaped command (a scalar behind a prefix, a write
/// with its position capture).
/// </summary>
internal sealed class PrimaryStage(PrimaryConnection primary) : ICommandStage
{
    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => true;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        var command = execution.Command;
        var plan = execution.Plan;
        execution.Shape.Prefix ??= command.Transaction is not null ? plan.InsidePrefix : plan.OutsidePrefix;
        if (execution.Timeouts.ClientCommandTimeoutSeconds is > 0 and var seconds && command.CommandTimeout != seconds)
        {
            command.CommandTimeout = seconds;
        }

        execution.RanOn(0, slot: null);
        if (plan.IsReplicaSafe && PgDisciplineTelemetry.Reads.Enabled)
        {
            PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", "primary"));
        }

        var opened = primary.EnsureOpen(command.Connection, execution.Sync, cancellationToken);
        return opened.IsCompletedSuccessfully ? Run(execution, cancellationToken) : AfterOpenAsync(opened, execution, cancellationToken);
    }

    private async ValueTask<Served> AfterOpenAsync(ValueTask opened, CommandExecution execution, CancellationToken cancellationToken)
    {
        await opened.ConfigureAwait(false);
        return await Run(execution, cancellationToken).ConfigureAwait(false);
    }

    private static ValueTask<Served> Run(CommandExecution execution, CancellationToken cancellationToken)
    {
        ref var shape = ref execution.Shape;
        if (shape.Capture is not null || (execution.Kind == ExecutionKind.Scalar && shape.LeadingResults > 0))
        {
            return RunShapedAsync(execution, cancellationToken);
        }

        if (!shape.IsPlain)
        {
            execution.Command.CommandText = execution.Plan.TextFor(shape);
        }

        return ValueTask.FromResult(Served.None);
    }

    /// <summary>Runs the shaped command here and gives EF Core what its own execute method would have returned.</summary>
    private static async ValueTask<Served> RunShapedAsync(CommandExecution execution, CancellationToken cancellationToken)
    {
        var sync = execution.Sync;
        var (reader, _) = await ShapeExecutor.ExecuteReaderAsync(execution.Command, execution.Plan, execution.Shape, CommandBehavior.Default, sync, cancellationToken).ConfigureAwait(false);
        switch (execution.Kind)
        {
            case ExecutionKind.Reader:
                return Served.WithReader(reader);
            case ExecutionKind.Scalar:
                await using (reader.ConfigureAwait(false))
                {
                    var read = sync ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    return Served.WithScalar(read ? reader.GetValue(0) : null);
                }

            default:
                await using (reader.ConfigureAwait(false))
                {
                    while (sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
                    {
                    }

                    // Npgsql counts only INSERT/UPDATE/DELETE/MERGE/COPY rows: the prefix's SELECT and the capture add nothing.
                    return Served.WithRows(reader.RecordsAffected);
                }
        }
    }
}
