using Microsoft.EntityFrameworkCore.Diagnostics;
using NpgsqlTypes;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Routing;

/// <summary>
/// The routing decisions that need no server: which pool a read may use, and which replica of it takes the read. Pure
/// functions of the plan, the session's position, the replicas' last observed state and a random source — unit-tested
/// without a database, 50 replicas included.
/// </summary>
internal static class ReplicaSelector
{
    /// <summary>
    /// The replica pool a read may use, or null for the primary. Writes, reads in a transaction (explicit or ambient),
    /// migration commands (EF Core's history reads included), Strong consistency and reads asking for the primary run on
    /// the primary; a query's own intent wins over the ambient one, and an untagged read follows
    /// <see cref="PgDisciplineOptions.DefaultRead"/> unless a Route rule names a target.
    /// </summary>
    public static string? PoolForRead(CommandPlan plan, bool inTransaction, CommandSource source, ReadIntent ambientIntent, QueryPriority? ambientPriority,
        PgDisciplineOptions options, Func<string, bool> poolExists)
    {
        if (!plan.IsReplicaSafe || inTransaction || options.Consistency == ReadConsistency.Strong || source == CommandSource.Migrations)
        {
            return null;
        }

        var intent = plan.Intent != ReadIntent.None ? plan.Intent : ambientIntent;
        if (intent == ReadIntent.Primary)
        {
            return null;
        }

        if (intent == ReadIntent.None && plan.RouteTo is null && options.DefaultRead == ReadRouting.Primary)
        {
            return null;
        }

        if (plan.RouteTo is { } routeTo)
        {
            return string.Equals(routeTo, "primary", StringComparison.OrdinalIgnoreCase) ? null : routeTo;
        }

        var priority = plan.Priority ?? ambientPriority;
        return priority == QueryPriority.Low && poolExists("low") ? "low" : ReplicaOptions.DefaultPool;
    }

    /// <summary>Power of two choices, weighted, among the replicas in rotation that may serve a read needing
    /// <paramref name="required"/>: known to have replayed it, or not found behind that much by a probe since
    /// <paramref name="probeableSince"/> (the caller probes those). Each replica's state is read once: the health monitor
    /// and other reads change it concurrently.</summary>
    public static ReplicaEndpoint? Choose(ReplicaEndpoint[] replicas, NpgsqlLogSequenceNumber required, long probeableSince, Random random,
        ReplicaEndpoint? exclude1 = null, ReplicaEndpoint? exclude2 = null)
    {
        Span<int> eligible = replicas.Length <= 64 ? stackalloc int[replicas.Length] : new int[replicas.Length];
        var count = 0;
        var totalWeight = 0;
        for (var i = 0; i < replicas.Length; i++)
        {
            var r = replicas[i];
            if (r.Admitted && r != exclude1 && r != exclude2 && (r.Replayed >= required || r.ProbedBehindAt <= probeableSince || required < r.ProbedBehindPosition))
            {
                eligible[count++] = i;
                totalWeight += r.Weight;
            }
        }

        if (count == 0)
        {
            return null;
        }

        eligible = eligible[..count];
        var x = Pick(replicas, eligible, random.Next(totalWeight));
        var y = Pick(replicas, eligible, random.Next(totalWeight));
        return (long)y.InFlight * x.Weight < (long)x.InFlight * y.Weight ? y : x;
    }

    /// <summary>The admitted replica that has replayed furthest (to wait on for read-your-writes), or null.</summary>
    public static ReplicaEndpoint? FurthestAhead(ReplicaEndpoint[] replicas)
    {
        ReplicaEndpoint? best = null;
        foreach (var r in replicas)
        {
            if (r.Admitted && (best is null || r.Replayed > best.Replayed))
            {
                best = r;
            }
        }

        return best;
    }

    /// <summary>Whether any replica of the set is in rotation.</summary>
    public static bool AnyInRotation(ReplicaEndpoint[] replicas)
    {
        foreach (var r in replicas)
        {
            if (r.Admitted)
            {
                return true;
            }
        }

        return false;
    }

    private static ReplicaEndpoint Pick(ReplicaEndpoint[] replicas, ReadOnlySpan<int> eligible, int ticket)
    {
        foreach (var i in eligible)
        {
            ticket -= replicas[i].Weight;
            if (ticket < 0)
            {
                return replicas[i];
            }
        }

        return replicas[eligible[^1]];
    }
}
