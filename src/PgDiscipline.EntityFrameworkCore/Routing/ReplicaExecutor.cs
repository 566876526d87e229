using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;
using PgDiscipline.Statistics;

namespace PgDiscipline.Routing;

/// <summary>
/// Runs a read on the replicas of its pool: the chosen replica (<see cref="ReplicaSelector"/>), then up to two others
/// when one fails or is behind the session; when replicas are in rotation but none has replayed the session's write,
/// waits up to <see cref="PgDisciplineOptions.ReadYourWritesWait"/> on the one furthest ahead. Every try is bounded by
/// <see cref="ReplicaAttempt"/>. No result: the read runs on the primary, for the reason given.
/// </summary>
internal sealed class ReplicaExecutor(CurrentOptions options, ReplicaSet set, ReplicaAttempt attempt, TimeProvider time)
{
    private readonly RetryBudget _budget = new(time);

    public async ValueTask<(Served Served, FallbackReason? Reason)> ReadAsync(CommandExecution execution, string pool, CancellationToken cancellationToken)
    {
        _budget.OnRequest();
        var required = execution.Route.Required;
        var members = set.PoolMembers(pool);
        ReplicaEndpoint? tried1 = null;
        ReplicaEndpoint? tried2 = null;
        var failed = false;
        var behind = false;
        for (var i = 0; i < 3; i++)
        {
            var replica = ReplicaSelector.Choose(members, required, attempt.ProbeableSince(), Random.Shared, tried1, tried2);
            if (replica is null)
            {
                break;
            }

            if (failed && !_budget.TryRetry())
            {
                return (Served.None, FallbackReason.RetryBudget);
            }

            // The session wrote after the replica's last health check: ask it how far it has replayed (in the read's own
            // round trip) rather than assume it is behind.
            var (outcome, served) = await attempt.RunAsync(execution, replica, replica.Replayed < required ? required : null, cancellationToken).ConfigureAwait(false);
            if (outcome == ReplicaAttempt.Outcome.Served)
            {
                return (served, null);
            }

            behind |= outcome == ReplicaAttempt.Outcome.Behind;
            failed |= outcome == ReplicaAttempt.Outcome.Failed;
            (tried1, tried2) = tried1 is null ? (replica, tried2) : (tried1, replica);
        }

        if (failed)
        {
            return (Served.None, FallbackReason.ReplicasFailed);
        }

        if (!behind && !ReplicaSelector.AnyInRotation(members))
        {
            return (Served.None, FallbackReason.NoReplicaInRotation);
        }

        if (required != default && options.Value.ReadYourWritesWait > TimeSpan.Zero)
        {
            var waited = await WaitThenReadAsync(execution, members, required, cancellationToken).ConfigureAwait(false);
            if (waited.HasResult)
            {
                return (waited, null);
            }
        }

        return (Served.None, FallbackReason.BehindSession);
    }

    /// <summary>
    /// The primary could not be reached for a read that was to run there (a failover in progress: the old primary down,
    /// the standby not promoted yet): waits up to <see cref="PgDisciplineOptions.MaxReplicaLag"/> for an admitted replica
    /// of its pool that satisfies it (under Session consistency: has replayed the session's last write) and runs there.
    /// Only reads: nothing is re-executed that could have run. Waited: the replicas were waited for.
    /// </summary>
    public async ValueTask<(Served Served, bool Waited)> RescueAsync(CommandExecution execution, string pool, CancellationToken cancellationToken)
    {
        if (execution.Route.PositionUnknown)
        {
            return (Served.None, false); // the session's position was never read: freshness unknown
        }

        var required = execution.Route.Required;
        var started = time.GetTimestamp();
        while (true)
        {
            foreach (var replica in set.PoolMembers(pool).Where(r => r.Admitted && !r.Removed).OrderByDescending(r => (ulong)r.Replayed))
            {
                var (outcome, served) = await attempt.RunAsync(execution, replica, required == default ? null : required, cancellationToken).ConfigureAwait(false);
                if (outcome == ReplicaAttempt.Outcome.Served)
                {
                    PgDisciplineTelemetry.PrimaryUnreachableReads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.outcome", "replica"));
                    return (served, true);
                }
            }

            if (time.GetElapsedTime(started) >= options.Value.MaxReplicaLag)
            {
                PgDisciplineTelemetry.PrimaryUnreachableReads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.outcome", "failed"));
                return (Served.None, true);
            }

            await DelayAsync(TimeSpan.FromMilliseconds(10), execution.Sync, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits (on the read's own connection) for the admitted replica that has replayed furthest to reach
    /// <paramref name="required"/>, then runs the read there; nothing when it does not within the wait.</summary>
    private async ValueTask<Served> WaitThenReadAsync(CommandExecution execution, ReplicaEndpoint[] members, NpgsqlLogSequenceNumber required, CancellationToken cancellationToken)
    {
        if (ReplicaSelector.FurthestAhead(members) is not { } replica)
        {
            return Served.None;
        }

        var started = time.GetTimestamp();
        var (outcome, served) = await attempt.RunAsync(execution, replica, null, cancellationToken, waitFor: required, wait: options.Value.ReadYourWritesWait).ConfigureAwait(false);
        RecordWait(execution, started, replayed: outcome == ReplicaAttempt.Outcome.Served);
        return served;
    }

    private void RecordWait(CommandExecution execution, long started, bool replayed)
    {
        var waited = time.GetElapsedTime(started);
        PgDisciplineTelemetry.SessionWait.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("pgdiscipline.outcome", replayed ? "replica" : "primary"));
        execution.Plan.Stats?.SessionWaited((long)(waited.Ticks / TimeSpan.TicksPerMicrosecond), replayed);
    }

    private ValueTask DelayAsync(TimeSpan delay, bool sync, CancellationToken cancellationToken)
    {
        if (sync)
        {
            // EF Core's synchronous APIs block for I/O anyway; a short bounded wait on the injected clock.
            Task.Delay(delay, time, cancellationToken).GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        return new ValueTask(Task.Delay(delay, time, cancellationToken));
    }
}
