using System.Data;
using Npgsql;
using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Coalescing;

/// <summary>
/// A read with a Coalesce rule or tag joins an identical read in flight, or leads one. The leader runs the rest of the
/// chain (a replica, else the primary with its timeouts) and buffers the rows; each caller gets its own
/// <see cref="BufferedDataReader"/>. A follower waits no longer than its own timeout; when its leader gives it nothing
/// (failed, cancelled, past the buffer bound) it runs the rest of the chain itself.
/// </summary>
internal sealed class CoalescingStage(CurrentOptions options, ReadCoalescer coalescer, TimeProvider time) : ICommandStage
{
    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => kind == ExecutionKind.Reader && plan.Coalesce;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        if (!AppliesTo(execution.Plan, execution.Kind) || execution.InTransaction || execution.Route.PositionUnknown
            || ReadCoalescer.KeyOf(execution.Route.Pool ?? "primary", execution.Plan.CommandText, execution.Command.Parameters) is not { } key
            || coalescer.Enter(key, execution.Route.Required) is not var (flight, leader))
        {
            return next.ExecuteAsync(execution, cancellationToken);
        }

        return leader ? LeadAsync(flight, execution, next, cancellationToken) : FollowAsync(flight, execution, next, cancellationToken);
    }

    private async ValueTask<Served> FollowAsync(ReadCoalescer.Flight flight, CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var timeout = execution.Timeouts.ClientBoundOr(execution.Command.CommandTimeout);
        BufferedResult? result;
        try
        {
            var wait = flight.Result.WaitAsync(timeout, time, cancellationToken);
            // EF Core's synchronous APIs block for I/O anyway; this is the same wait.
            result = execution.Sync ? wait.GetAwaiter().GetResult() : await wait.ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Record(execution, started, served: false);
            throw new NpgsqlException($"The command timed out after {timeout.TotalMilliseconds:0} ms waiting for an identical read in flight (Coalesce, fingerprint {execution.Plan.Fingerprint}).", ex);
        }

        var waited = Record(execution, started, served: result is not null);
        if (result is not null)
        {
            return Served.WithReader(new BufferedDataReader(result));
        }

        if (execution.Timeouts.Statement is null && timeout != Timeout.InfiniteTimeSpan)
        {
            // No statement timeout bounds its own read: what is left of its command timeout does.
            execution.Command.CommandTimeout = (int)Math.Max(1, Math.Ceiling((timeout - waited).TotalSeconds));
        }

        return await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Served> LeadAsync(ReadCoalescer.Flight flight, CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
    {
        System.Data.Common.DbDataReader? reader = null;
        try
        {
            var served = await next.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
            var firstReadDone = served.FirstReadDone;
            var firstRead = served.FirstRead;
            reader = served.Reader;
            if (reader is null)
            {
                // The primary stage left it to EF Core: the leader runs it here, as shaped, to keep its rows.
                (reader, _) = await ShapeExecutor.ExecuteReaderAsync(execution.Command, execution.Plan, execution.Shape, CommandBehavior.Default, execution.Sync, cancellationToken).ConfigureAwait(false);
            }

            var bounds = options.Value.Coalescing;
            var (result, partial) = await BufferedResult.ReadAsync(reader, bounds.MaxRows, bounds.MaxBytes, execution.Sync, cancellationToken, firstReadDone, firstRead).ConfigureAwait(false);
            if (result is null)
            {
                // Past the bound: the followers run their own; this caller streams the rest.
                coalescer.Complete(flight, null);
                return Served.WithReader(new BufferedDataReader(partial, live: reader));
            }

            // Everything is in memory: give the connection (and a replica's in-flight slot) back now.
            await reader.DisposeAsync().ConfigureAwait(false);
            execution.LeaveTarget();
            if (flight.Followers > 0)
            {
                execution.Plan.Stats?.CoalescedFlight();
            }

            coalescer.Complete(flight, result);
            return Served.WithReader(new BufferedDataReader(result));
        }
        catch
        {
            // Failed or cancelled: the error is this caller's; the followers run their own reads.
            coalescer.Complete(flight, null);
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private TimeSpan Record(CommandExecution execution, long started, bool served)
    {
        var waited = time.GetElapsedTime(started);
        execution.Plan.Stats?.CoalescedWait((long)waited.TotalMicroseconds, served);
        PgDisciplineTelemetry.CoalescedWait.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("pgdiscipline.outcome", served ? "shared" : "own"));
        return waited;
    }
}
