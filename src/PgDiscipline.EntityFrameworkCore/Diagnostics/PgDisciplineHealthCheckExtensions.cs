using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline;

/// <summary>Registration of <see cref="PgDisciplineReplicaHealthCheck"/>.</summary>
public static class PgDisciplineHealthCheckExtensions
{
    /// <summary>Adds the replica health check (needs <c>AddPgDiscipline</c>).</summary>
    public static IHealthChecksBuilder AddPgDisciplineReplicas(this IHealthChecksBuilder builder, string name = "pgdiscipline-replicas")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<PgDisciplineReplicaHealthCheck>(name, tags: ["ready"]);
    }
}
