using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Routing;

/// <summary>
/// Decides where a read may run before anything runs it (so coalescing keys on it): its replica pool, or the primary
/// (<see cref="ReplicaSelector.PoolForRead"/>), and under read-your-writes the position a replica must have replayed — read
/// from the primary now when the session wrote since its last capture. A fresh runtime's first replica reads wait here
/// for the first round of health checks (at most one check's timeout), so a fleet restarting for a deploy does not put
/// its read load on the primary; that wait is not counted as the query's latency.
/// </summary>
internal sealed class RouteStage(CurrentOptions options, ReplicaSet set, ReplicaHealthMonitor monitor, SessionStore sessions, TimeProvider time) : ICommandStage
{
    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => kind == ExecutionKind.Reader && set.Configured;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        if (!AppliesTo(execution.Plan, execution.Kind))
        {
            return next.ExecuteAsync(execution, cancellationToken);
        }

        var pool = ReplicaSelector.PoolForRead(execution.Plan, execution.InTransaction, execution.Source,
            PgDisciplineRouting.AmbientIntent, PgDisciplineRouting.AmbientPriority, options.Value, set.HasPool);
        if (pool is null)
        {
            return next.ExecuteAsync(execution, cancellationToken);
        }

        execution.Route.Pool = pool;
        return DecideThenAsync(execution, next, cancellationToken);
    }

    private async ValueTask<Served> DecideThenAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        var warm = monitor.EnsureStarted();
        if (!warm.IsCompleted)
        {
            execution.NotCounted(await WarmUpAsync(warm, execution.Sync, cancellationToken).ConfigureAwait(false));
        }

        if (options.Value.Consistency == ReadConsistency.Session && execution.Context is { } context)
        {
            var session = sessions.Session(context);
            if (session.HasUncapturedWrite)
            {
                try
                {
                    await session.EnsureCapturedAsync(execution.Sync, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ReplicaAttempt.IsConnectionLevel(ex) || ex is InvalidOperationException)
                {
                    execution.Route.PositionUnknown = true; // freshness unknown: the primary answers
                }
            }

            execution.Route.Required = session.RequiredPosition;
        }

        return await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<TimeSpan> WarmUpAsync(Task firstRound, bool sync, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            if (sync)
            {
                // EF Core's synchronous APIs block for I/O anyway; this is one bounded wait, once per runtime.
                firstRound.WaitAsync(monitor.CheckTimeout, time, cancellationToken).GetAwaiter().GetResult();
            }
            else
            {
                await firstRound.WaitAsync(monitor.CheckTimeout, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // The slowest replica has not answered: route with what is known.
        }

        return time.GetElapsedTime(started);
    }
}
