using NpgsqlTypes;

namespace PgDiscipline;

/// <summary>What a health check saw.</summary>
/// <param name="Healthy">Reachable, in recovery, and within <c>MaxReplicaLag</c>.</param>
/// <param name="Status">Why it is (un)healthy, for logs and the health check.</param>
/// <param name="ReplayPosition">Last replayed WAL position.</param>
/// <param name="LagBytes">Primary position minus replay position, when the primary answered.</param>
/// <param name="Lag">Time since the last replayed commit while replay is behind what was received (zero when caught up).</param>
/// <param name="CheckedAt">When.</param>
public sealed record ReplicaHealth(bool Healthy, string Status, NpgsqlLogSequenceNumber ReplayPosition, long? LagBytes, TimeSpan? Lag, DateTimeOffset CheckedAt);
