using PgDiscipline.Configuration;
using PgDiscipline.HighAvailability;
using PgDiscipline.Pipeline;
using PgDiscipline.Routing;
using PgDiscipline.Timeouts;

namespace PgDiscipline.Interception;

/// <summary>What EF Core's events need of one runtime (as EF Core hands its services their <c>…Dependencies</c>).</summary>
internal sealed record InterceptorDependencies(
    CurrentOptions Options,
    CommandPipeline Pipeline,
    PrimaryConnection Primary,
    PrimaryTimelineGuard Timeline,
    PrimaryPosition PrimaryPosition,
    ReplicaSet Replicas,
    SessionStore Sessions);
