using Microsoft.Extensions.Logging;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// Taking replicas out of rotation and putting them back, with hysteresis: a replica that fails a check (or a read) is
/// taken out at once; it is put back after consecutive healthy checks — one if it was never taken out, then 2, 4 and at
/// most 8 the more often it was taken out in the last five minutes — so a flapping replica does not oscillate. Decisions
/// depend only on the observations and the time given, so they are tested on a fake clock.
/// </summary>
internal sealed class ReplicaAdmission(ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan Recent = TimeSpan.FromMinutes(5);

    /// <summary>Applies one health observation.</summary>
    public void Observe(ReplicaEndpoint replica, ReplicaHealth health)
    {
        replica.Observe(health);
        if (!health.Healthy)
        {
            Eject(replica, health.Status);
            return;
        }

        if (replica.Admitted)
        {
            return;
        }

        replica.HealthyStreak++;
        if (replica.HealthyStreak >= ChecksNeeded(replica, time.GetUtcNow()) && !replica.Removed)
        {
            replica.Admitted = true;
            Log.ReplicaAdmitted(logger, replica.Name);
        }
    }

    /// <summary>Takes a replica out at once (a read on it just failed at connection level).</summary>
    public void MarkFailed(ReplicaEndpoint replica, string reason)
        => Observe(replica, new ReplicaHealth(false, reason, replica.Health.ReplayPosition, null, null, time.GetUtcNow()));

    /// <summary>Consecutive healthy checks needed to put <paramref name="replica"/> back in rotation now.</summary>
    internal static int ChecksNeeded(ReplicaEndpoint replica, DateTimeOffset now)
    {
        if (replica.LastEjected == default)
        {
            return 1;
        }

        var recentEjections = now - replica.LastEjected < Recent ? replica.EjectionCount : 0;
        return recentEjections <= 1 ? 2 : Math.Min(2 << (recentEjections - 1), 8);
    }

    private void Eject(ReplicaEndpoint replica, string reason)
    {
        replica.HealthyStreak = 0;
        if (!replica.Admitted)
        {
            return;
        }

        var now = time.GetUtcNow();
        replica.Admitted = false;
        replica.EjectionCount = now - replica.LastEjected < Recent ? replica.EjectionCount + 1 : 1;
        replica.LastEjected = now;
        PgDisciplineTelemetry.Ejections.Add(1, new KeyValuePair<string, object?>("pgdiscipline.replica", replica.Name));
        Log.ReplicaEjected(logger, replica.Name, reason);
    }
}
