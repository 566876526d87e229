namespace PgDiscipline;

/// <summary>A replica as the router saw it when <see cref="PgDisciplineRuntime.Replicas"/> was read (a read-only snapshot).</summary>
/// <param name="Name">Display name (metrics, logs, health check): the configured name, or host:port.</param>
/// <param name="Pool">The replica pool it belongs to.</param>
/// <param name="Weight">Its relative share of the pool's reads.</param>
/// <param name="IsInRotation">True while it serves reads (healthy, and re-admitted after its recovery checks).</param>
/// <param name="InFlight">Commands running on it.</param>
/// <param name="Health">The latest health observation.</param>
public sealed record ReplicaStatus(string Name, string Pool, int Weight, bool IsInRotation, int InFlight, ReplicaHealth Health);
