using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PgDiscipline;

/// <summary>ASP.NET Core health check over the replica monitor: Healthy when every replica is in rotation, Degraded when
/// some are, Unhealthy when none is (reads then run on the primary, or fail with FallbackToPrimary off).</summary>
public sealed class PgDisciplineReplicaHealthCheck(PgDisciplineRuntime runtime) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var replicas = runtime.Replicas;
        var data = replicas.ToDictionary(
            r => r.Name,
            r => (object)$"{(r.IsInRotation ? "in rotation" : "out")}: {r.Health.Status}; lag {r.Health.Lag?.TotalMilliseconds ?? 0:0} ms, {r.Health.LagBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} bytes");
        var inRotation = replicas.Count(r => r.IsInRotation);
        var result = replicas.Count == 0 ? HealthCheckResult.Healthy("no replicas configured", data)
            : inRotation == replicas.Count ? HealthCheckResult.Healthy($"{inRotation} of {replicas.Count} replicas in rotation", data)
            : inRotation > 0 ? HealthCheckResult.Degraded($"{inRotation} of {replicas.Count} replicas in rotation", data: data)
            : HealthCheckResult.Unhealthy("no replica in rotation", data: data);
        return Task.FromResult(result);
    }
}
