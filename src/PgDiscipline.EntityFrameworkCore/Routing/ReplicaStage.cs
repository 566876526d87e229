using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;
using PgDiscipline.Statistics;

namespace PgDiscipline.Routing;

/// <summary>
/// Reads with a replica pool run on a replica (<see cref="ReplicaExecutor"/>); when none can take one, it continues to the
/// primary, counted by reason — and if the primary turns out to be unreachable (a failover in progress), the read waits
/// for a replica instead of failing. Writes outside a transaction mark the context's session for read-your-writes and,
/// when they can, carry their commit position's capture in their own round trip.
/// </summary>
internal sealed class ReplicaStage(CurrentOptions options, ReplicaSet set, ReplicaExecutor executor, SessionStore sessions, WritePositionCapture capture) : ICommandStage
{
    // Reads routed by the route stage, and writes whose position a session must remember.
    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => set.Configured;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        if (execution.Route.Pool is { } pool)
        {
            return ReadAsync(execution, pool, next, cancellationToken);
        }

        if (!execution.Plan.IsReplicaSafe && set.Configured && execution.Command.Transaction is null
            && execution.Context is { } context && options.Value.Consistency == ReadConsistency.Session)
        {
            var state = SessionStore.StateOf(context);
            var session = sessions.Session(state);
            session.MarkWrite();
            execution.Shape.Capture = capture.For(execution, state, session);
        }

        return next.ExecuteAsync(execution, cancellationToken);
    }

    private async ValueTask<Served> ReadAsync(CommandExecution execution, string pool, StageCursor next, CancellationToken cancellationToken)
    {
        if (execution.Route.PositionUnknown)
        {
            FellBack(execution, FallbackReason.SessionUnknown);
        }
        else
        {
            var (served, reason) = await executor.ReadAsync(execution, pool, cancellationToken).ConfigureAwait(false);
            if (served.HasResult)
            {
                return served;
            }

            if (!options.Value.FallbackToPrimary && execution.Route.Required == default)
            {
                throw new ReplicaUnavailableException(execution.Plan.Fingerprint, pool);
            }

            FellBack(execution, reason!.Value);
        }

        Exception? unreachable;
        try
        {
            return await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ReplicaAttempt.IsConnectionLevel(ex))
        {
            unreachable = ex;
        }

        // The primary is down (a failover in progress): a read that may run on a replica waits for one rather than fail.
        var (rescued, waited) = await executor.RescueAsync(execution, pool, cancellationToken).ConfigureAwait(false);
        if (rescued.HasResult)
        {
            return rescued;
        }

        if (!waited)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreachable);
        }

        // No replica could take it within MaxReplicaLag: by now the standby may have been promoted, and a multi-host
        // string's cached "standby" state for it has had time to expire. The primary once more; its first error is what
        // the caller sees if this fails too.
        try
        {
            return await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ReplicaAttempt.IsConnectionLevel(ex))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreachable);
            throw;
        }
    }

    /// <summary>Counts a replica-bound read that runs on the primary, by reason (metric tag and statistics).</summary>
    private static void FellBack(CommandExecution execution, FallbackReason reason)
    {
        PgDisciplineTelemetry.Fallbacks.Add(1, new KeyValuePair<string, object?>("pgdiscipline.reason", reason.Name()));
        execution.Plan.Stats?.FellBack(reason);
    }
}
