using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace PgDiscipline.Coalescing;

/// <summary>
/// A read with a Coalesce rule or tag (<see cref="CommandPlan.Coalesce"/>): joins an identical read in flight, or leads
/// one. The leader runs the read where it would have run anyway (a replica, else the primary with its timeouts) and
/// buffers the rows; each caller gets its own <see cref="BufferedDataReader"/>. Null: run the read the ordinary way
/// (it cannot be coalesced, or the leader it waited for gave nothing).
/// </summary>
internal static class CoalescedRead
{
    public static async ValueTask<DbDataReader?> TryReadAsync(
        PgDisciplineRuntime runtime, DbCommand command, CommandEventData eventData, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        if (command.Transaction is not null || System.Transactions.Transaction.Current is not null)
        {
            return null;
        }

        var router = runtime.Router;
        var pool = router?.PoolForRead(plan, inTransaction: false, eventData.CommandSource, PgDisciplineRouting.AmbientIntent, PgDisciplineRouting.AmbientPriority);
        if (ReadCoalescer.KeyOf(pool ?? "primary", plan.CommandText, command.Parameters) is not { } key)
        {
            return null;
        }

        // The position this caller must see (Session consistency): a leader that started with less cannot answer it.
        var required = default(NpgsqlLogSequenceNumber);
        if (router is not null && runtime.Options.Consistency == ReadConsistency.Session && eventData.Context is { } context)
        {
            var session = router.Session(context);
            if (session.HasUncapturedWrite)
            {
                return null; // its position is not known yet: the ordinary path captures it and routes
            }

            required = session.RequiredPosition;
        }

        if (runtime.Coalescer.Enter(key, required) is not var (flight, leader))
        {
            return null;
        }

        return leader
            ? await LeadAsync(runtime, flight, command, eventData, plan, sync, cancellationToken).ConfigureAwait(false)
            : await FollowAsync(flight, command, plan, sync, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<DbDataReader?> FollowAsync(ReadCoalescer.Flight flight, DbCommand command, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        // The wait counts against this command's own timeout.
        var started = Stopwatch.GetTimestamp();
        var timeout = command.CommandTimeout > 0 ? TimeSpan.FromSeconds(command.CommandTimeout) : Timeout.InfiniteTimeSpan;
        BufferedResult? result;
        try
        {
            if (sync)
            {
                // EF Core's synchronous APIs block for I/O anyway; this is the same wait, without a thread hop.
                result = flight.Result.Wait(timeout, cancellationToken) ? flight.Result.Result : throw new TimeoutException();
            }
            else
            {
                result = await flight.Result.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException ex)
        {
            Record(plan, started, served: false);
            throw new NpgsqlException($"The command timed out after {command.CommandTimeout} s waiting for an identical read in flight (Coalesce, fingerprint {plan.Fingerprint}).", ex);
        }

        var waited = Record(plan, started, served: result is not null);
        if (result is null && timeout != Timeout.InfiniteTimeSpan)
        {
            // It runs its own read now, with what is left of its timeout.
            command.CommandTimeout = (int)Math.Max(1, Math.Ceiling((timeout - waited).TotalSeconds));
        }

        return result is null ? null : new BufferedDataReader(result, leadingEmptyResult: false);
    }

    private static async ValueTask<DbDataReader?> LeadAsync(
        PgDisciplineRuntime runtime, ReadCoalescer.Flight flight, DbCommand command, CommandEventData eventData, CommandPlan plan,
        bool sync, CancellationToken cancellationToken)
    {
        DbDataReader? reader = null;
        try
        {
            if (runtime.Router is { } router)
            {
                reader = await router.TryReadAsync(command, eventData, plan, sync, cancellationToken).ConfigureAwait(false);
            }

            var prefixed = false;
            if (reader is null)
            {
                await PgDisciplineCommandInterceptor.OnPrimaryAsync(runtime, command, eventData, plan, sync, cancellationToken).ConfigureAwait(false);
                reader = sync ? command.ExecuteReader() : await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                prefixed = PrimaryConnection.IsPrefixed(command);
                if (prefixed)
                {
                    _ = sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            var options = runtime.Options.Coalescing;
            var (result, partial) = await BufferedResult.ReadAsync(reader, options.MaxRows, options.MaxBytes, sync, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                // Past the bound: the followers run their own; this caller streams the rest.
                runtime.Coalescer.Complete(flight, null);
                return new BufferedDataReader(partial, prefixed, live: reader);
            }

            // Everything is in memory: give the connection (and a replica's in-flight slot) back now.
            await reader.DisposeAsync().ConfigureAwait(false);
            runtime.Router?.Completed(command);
            if (flight.Followers > 0)
            {
                plan.Stats?.CoalescedFlight();
            }

            runtime.Coalescer.Complete(flight, result);
            return new BufferedDataReader(result, prefixed);
        }
        catch
        {
            // Failed or cancelled: the error is this caller's; the followers run their own reads.
            runtime.Coalescer.Complete(flight, null);
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private static TimeSpan Record(CommandPlan plan, long started, bool served)
    {
        var waited = Stopwatch.GetElapsedTime(started);
        plan.Stats?.CoalescedWait((long)waited.TotalMicroseconds, served);
        PgDisciplineTelemetry.CoalescedWait.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("pgdiscipline.outcome", served ? "shared" : "own"));
        return waited;
    }
}
