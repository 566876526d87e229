using NpgsqlTypes;

namespace PgDiscipline.Pipeline;

/// <summary>Where a read may run, decided before any server is touched (by the routing stage; default: the primary).</summary>
internal struct RouteDecision
{
    /// <summary>The replica pool the read may go to; null: the primary.</summary>
    public string? Pool;

    /// <summary>The WAL position a replica must have replayed to serve it (read-your-writes), or zero.</summary>
    public NpgsqlLogSequenceNumber Required;

    /// <summary>The session's position was not known and could not be read: freshness unknown, the primary answers.</summary>
    public bool PositionUnknown;

    /// <summary>Time spent waiting for a fresh runtime's first health checks before routing.</summary>
    public TimeSpan WarmUpWait;
}
